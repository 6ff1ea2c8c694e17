// JSON text <-> msgpack bytes for the CLI, via nlohmann::json (kept to
// json_msgpack.cc so only one TU pays for the header).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tq/raw_client.h"

namespace tq::cli {

// Encodes the JSON texts as one msgpack array. Invalid JSON, and numbers
// msgpack cannot carry as written (beyond a double's range, or integers
// beyond 64 bits, which a JSON parser would silently round to a double),
// return nullopt with *error a sentence naming the argument:
// "argument 1 (1e400) is out of range: ...".
std::optional<std::string> JsonArgsToMsgpack(const std::vector<std::string>& json_args,
                                             std::string* error);

// One JSON value as msgpack (an object's value); *error as above.
std::optional<std::string> JsonToMsgpack(std::string_view text, std::string* error);
// A dict key: the JSON value `text` holds, or, when it is no JSON (a bare
// word), the string itself: `tq dict get d 3` is the key 3, `... d x` "x".
std::string KeyToMsgpack(std::string_view text);

// Encodes [value] for one JSON line of `tq map` input; *error as above.
std::optional<std::string> JsonLineToArgs(std::string_view line, std::string* error);

// One line of JSON for a msgpack value. msgpack bin, which JSON lacks,
// becomes a string: the bytes themselves when they are UTF-8, else their
// base64, flagged by a sibling key "<key>_base64": true inside a map, or as
// {"base64": "..."} elsewhere. (So an exec result's "stdout" is its text.)
std::string MsgpackToJson(std::string_view msgpack);

// One line of JSON for `tq status --json`.
std::string TaskInfoToJson(const TaskInfo& t);
std::string WorkersToJson(const std::vector<WorkerStatus>& workers);
std::string FunctionsToJson(const std::vector<FunctionInfo>& functions);
std::string StatsToJson(const QueueStats& stats);
// One line of JSON for `tq stats --json` (its keys: README, "Watching tqd").
std::string StatsReportToJson(const QueueStats& stats);

// One line of JSON for `tq wait --json`: the task's id, function and final
// state, and its value (as MsgpackToJson) or its error.
std::string OutcomeToJson(std::uint64_t task_id, const std::string& fn, const Outcome& o);

// How the CLI runs a command with the exec task (README, "The exec task").
struct ExecSpec {
  std::vector<std::string> argv;
  std::string cwd;  // absolute; "" for the worker's
  std::vector<std::pair<std::string, std::string>> env;  // added to the worker's
  std::uint64_t timeout_ms = 0;                          // 0: none
};
// The args of the builtin exec task: [{"argv": [...], "cwd": ..., ...}].
std::string ExecArgs(const ExecSpec& spec);

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

// Standard base64 (RFC 4648, with padding).
std::string Base64(std::string_view bytes);

}  // namespace tq::cli
