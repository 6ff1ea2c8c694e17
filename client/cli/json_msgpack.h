// JSON text <-> msgpack bytes for the CLI, via nlohmann::json (kept to
// json_msgpack.cc so only one TU pays for the header).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tq/raw_client.h"

namespace tq::cli {

// Encodes the JSON texts as one msgpack array. On invalid JSON returns
// nullopt and sets *error to a sentence naming the argument.
std::optional<std::string> JsonArgsToMsgpack(const std::vector<std::string>& json_args,
                                             std::string* error);

// Encodes [value] for one JSON line of `tq map` input.
std::optional<std::string> JsonLineToArgs(std::string_view line, std::string* error);

// One line of JSON for a msgpack value (bin values become arrays of bytes).
std::string MsgpackToJson(std::string_view msgpack);

// One line of JSON for `tq status --json`.
std::string TaskInfoToJson(const TaskInfo& t);

}  // namespace tq::cli
