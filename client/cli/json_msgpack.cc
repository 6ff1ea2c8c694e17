// JSON <-> msgpack with nlohmann::json.
#include "json_msgpack.h"

#include <nlohmann/json.hpp>

namespace tq::cli {
namespace {

std::string ToMsgpack(const nlohmann::json& j) {
  std::string out;
  nlohmann::json::to_msgpack(j, nlohmann::detail::output_adapter<char>(out));
  return out;
}

}  // namespace

std::optional<std::string> JsonArgsToMsgpack(const std::vector<std::string>& json_args,
                                             std::string* error) {
  nlohmann::json array = nlohmann::json::array();
  for (std::size_t i = 0; i < json_args.size(); ++i) {
    try {
      array.push_back(nlohmann::json::parse(json_args[i]));
    } catch (const nlohmann::json::parse_error&) {
      *error = "argument " + std::to_string(i + 1) + " (" + json_args[i] +
               ") is not JSON; quote strings, e.g. '\"text\"'";
      return std::nullopt;
    }
  }
  return ToMsgpack(array);
}

std::optional<std::string> JsonLineToArgs(std::string_view line, std::string* error) {
  try {
    return ToMsgpack(nlohmann::json::array({nlohmann::json::parse(line)}));
  } catch (const nlohmann::json::parse_error& e) {
    *error = e.what();
    return std::nullopt;
  }
}

std::string MsgpackToJson(std::string_view msgpack) {
  try {
    // Replace invalid UTF-8 rather than fail: the value is shown, not parsed.
    return nlohmann::json::from_msgpack(msgpack).dump(
        -1, ' ', false, nlohmann::json::error_handler_t::replace);
  } catch (const nlohmann::json::exception& e) {
    return nlohmann::json({{"tq_undecodable_value", e.what()}}).dump();
  }
}

}  // namespace tq::cli
