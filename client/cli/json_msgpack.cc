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

std::string TaskInfoToJson(const TaskInfo& t) {
  nlohmann::json j = {
      {"task", t.task_id},
      {"state", std::string(TaskStateName(t.state))},
      {"fn", t.fn},
      {"priority", t.priority},
      {"attempts", t.attempts},
      {"worker_pid", t.worker_pid},
      {"queued_at_ms", t.queued_at_ms},
      {"started_at_ms", t.started_at_ms},
      {"finished_at_ms", t.finished_at_ms},
  };
  if (t.error_type) {
    nlohmann::json e = {{"type", *t.error_type}, {"message", t.error_message}};
    if (!t.error.cause.empty()) e["cause"] = t.error.cause;
    if (t.error.pid != 0) e["pid"] = t.error.pid;
    if (t.error.exit_code) e["exit_code"] = *t.error.exit_code;
    if (t.error.signal) e["signal"] = *t.error.signal;
    if (t.error.rss_bytes != 0) e["rss_bytes"] = t.error.rss_bytes;
    if (t.error.timeout_ms != 0) e["timeout_ms"] = t.error.timeout_ms;
    if (!t.error.stack.empty()) e["stack"] = t.error.stack;
    j["error"] = std::move(e);
  }
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string WorkersToJson(const std::vector<WorkerStatus>& workers) {
  nlohmann::json a = nlohmann::json::array();
  for (const WorkerStatus& w : workers) {
    a.push_back({{"slot", w.slot}, {"pid", w.pid}, {"state", w.state},
                 {"task", w.task_id}, {"fn", w.fn}, {"tasks_done", w.tasks_done},
                 {"uptime_ms", w.uptime_ms}, {"rss_bytes", w.rss_bytes}});
  }
  return a.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string StatsToJson(const QueueStats& s) {
  nlohmann::json recent = nlohmann::json::array();
  for (const TaskInfo& t : s.recent) {
    recent.push_back({{"task", t.task_id}, {"fn", t.fn},
                      {"state", std::string(TaskStateName(t.state))},
                      {"attempts", t.attempts}, {"queued_at_ms", t.queued_at_ms},
                      {"finished_at_ms", t.finished_at_ms}});
  }
  nlohmann::json j = {{"queued", s.queued},       {"running", s.running},
                      {"workers", s.workers},     {"done", s.done},
                      {"failed", s.failed},       {"timed_out", s.timed_out},
                      {"cancelled", s.cancelled}, {"lost", s.lost},
                      {"buried", s.buried},       {"recent", recent}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string ExecArgs(const std::vector<std::string>& argv, std::uint64_t timeout_ms) {
  nlohmann::json spec = {{"argv", argv}};
  if (timeout_ms != 0) spec["timeout_ms"] = timeout_ms;
  return ToMsgpack(nlohmann::json::array({spec}));
}

std::optional<ExecResult> DecodeExecResult(std::string_view msgpack) {
  try {
    const nlohmann::json j = nlohmann::json::from_msgpack(msgpack);
    ExecResult r;
    auto bytes = [&](const char* key) {
      const nlohmann::json& v = j.at(key);
      if (v.is_binary()) {
        const auto& b = v.get_binary();
        return std::string(b.begin(), b.end());
      }
      return v.get<std::string>();
    };
    if (!j.at("exit_code").is_null()) r.exit_code = j.at("exit_code").get<int>();
    if (!j.at("signal").is_null()) r.signal = j.at("signal").get<int>();
    r.timed_out = j.value("timed_out", false);
    r.out = bytes("stdout");
    r.err = bytes("stderr");
    r.out_truncated = j.value("stdout_truncated", false);
    r.err_truncated = j.value("stderr_truncated", false);
    r.wall_ms = j.value("wall_ms", 0.0);
    return r;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

}  // namespace tq::cli
