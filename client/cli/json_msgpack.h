// JSON text <-> msgpack bytes for the CLI, via nlohmann::json (kept to
// json_msgpack.cc so only one TU pays for the header).
#pragma once

#include <cstdint>
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
std::string WorkersToJson(const std::vector<WorkerStatus>& workers);
std::string StatsToJson(const QueueStats& stats);

// The args of the builtin exec task: [{"argv": [...], "timeout_ms": N}].
std::string ExecArgs(const std::vector<std::string>& argv, std::uint64_t timeout_ms);

// What the exec task returns (see README, "The exec task").
struct ExecResult {
  std::optional<int> exit_code;
  std::optional<int> signal;
  bool timed_out = false;
  std::string out, err;
  bool out_truncated = false, err_truncated = false;
  double wall_ms = 0;
};
std::optional<ExecResult> DecodeExecResult(std::string_view msgpack);

}  // namespace tq::cli
