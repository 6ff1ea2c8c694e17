// The messages of protocol v1, as plain structs (proto/PROTOCOL.md is the
// wire spec; this header is its C++ mirror).
//
// Decoded messages hold string_views into the frame they came from: the
// frame must outlive them. The same structs are what the encoders take.
// "args" and "value" are opaque msgpack-encoded bytes carried in a msgpack
// bin: tqd routes them without parsing them.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <variant>
#include <vector>

namespace tq::proto {

enum class TaskState : std::uint8_t {
  kQueued,
  kRunning,
  kDone,
  kFailed,
  kTimedOut,
  kCancelled,
  kLost,
};

// "queued", "running", "done", "failed", "timed_out", "cancelled", "lost".
std::string_view TaskStateName(TaskState state);
std::optional<TaskState> ParseTaskState(std::string_view name);
// True for the states a task ends in.
inline bool IsFinal(TaskState s) {
  return s != TaskState::kQueued && s != TaskState::kRunning;
}

// Why a task did not produce a value.
struct ErrorInfo {
  std::string_view type;     // e.g. "std::runtime_error", "tq.WorkerLost"
  std::string_view message;  // a human sentence
};

// ---- client -> tqd --------------------------------------------------------

struct SubmitRequest {
  std::uint64_t request_id = 0;  // chosen by the client, non-zero, echoed
  std::string_view fn;
  std::string_view args;  // msgpack array, encoded; empty means []
};

struct PingRequest {
  std::uint64_t request_id = 0;
};

using ClientMessage = std::variant<SubmitRequest, PingRequest>;

// ---- tqd -> client --------------------------------------------------------

struct Accepted {
  std::uint64_t request_id = 0;
  std::uint64_t task_id = 0;
};

struct TaskResult {
  std::uint64_t request_id = 0;
  std::uint64_t task_id = 0;
  TaskState state = TaskState::kDone;  // final
  std::string_view value;              // msgpack, when state == kDone
  ErrorInfo error;                     // when state != kDone
};

struct ErrorReply {
  std::uint64_t request_id = 0;  // 0 when the request's id was unreadable
  std::string_view code;         // ErrorCodeName(), e.g. "UNKNOWN_FUNCTION"
  std::string_view message;
};

struct Pong {
  std::uint64_t request_id = 0;
  std::string_view server;  // e.g. "tqd 0.1.0"
  std::uint32_t pid = 0;
  std::uint32_t workers = 0;  // configured pool size
};

using DaemonMessage = std::variant<Accepted, TaskResult, ErrorReply, Pong>;

// ---- tq-worker <-> tqd (pipe frames) ---------------------------------------

// First frame a worker writes: it is up and offers these functions.
struct WorkerHello {
  std::uint32_t pid = 0;
  std::vector<std::string_view> functions;
};

// tqd -> worker: run this.
struct TaskAssignment {
  std::uint64_t task_id = 0;
  std::string_view fn;
  std::string_view args;
};

// worker -> tqd: how it went. state is kDone or kFailed.
struct WorkerResult {
  std::uint64_t task_id = 0;
  TaskState state = TaskState::kDone;
  std::string_view value;
  ErrorInfo error;
};

using WorkerMessage = std::variant<WorkerHello, WorkerResult>;

}  // namespace tq::proto
