// The exceptions libtq throws. All derive from tq::Error, itself a
// std::runtime_error, so `catch (const tq::Error&)` catches everything tq
// reports and what() is always a complete sentence.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

#include "tq/proto/messages.h"

namespace tq {

using TaskState = proto::TaskState;

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Why a task ended without a value, for programs: what tqd knows beyond
// the error's type and message (proto/PROTOCOL.md, "error").
struct ErrorDetails {
  // "exception" (it threw), "exit" / "signal" (its worker exited or was
  // killed), "oom" (the kernel's OOM killer), "timeout", "cancelled",
  // "shutdown", "protocol" (its worker broke the pipe protocol), "buried".
  std::string cause;
  std::uint32_t pid = 0;  // the worker involved
  std::optional<int> exit_code;
  std::optional<int> signal;
  std::uint64_t rss_bytes = 0;   // the worker's RSS last seen
  std::uint64_t timeout_ms = 0;  // the timeout that expired
  std::string stack;             // where a timed-out task was (gdb)
};

// The task ran (or was meant to) and did not produce a value: it threw
// (state failed), its worker died (lost), it was cancelled, timed out or
// buried. type() is the remote error type, e.g. "std::invalid_argument"
// or "tq.WorkerLost"; message() the remote sentence; details() the cause.
class RemoteError : public Error {
 public:
  RemoteError(std::uint64_t task_id, TaskState state, std::uint32_t attempts,
              std::string type, std::string message, ErrorDetails details);
  std::uint64_t task_id() const { return task_id_; }
  TaskState state() const { return state_; }
  // Runs started, retries included.
  std::uint32_t attempts() const { return attempts_; }
  const std::string& type() const { return type_; }
  const std::string& message() const { return message_; }
  const ErrorDetails& details() const { return details_; }

 private:
  std::uint64_t task_id_;
  TaskState state_;
  std::uint32_t attempts_;
  std::string type_;
  std::string message_;
  ErrorDetails details_;
};

// get()/wait with a timeout ran out first. The task itself goes on.
class TimeoutError : public Error {
 public:
  using Error::Error;
};

// tqd could not be reached, the connection was lost while the request was
// in flight, or the Client was destroyed first.
class ConnectionError : public Error {
 public:
  using Error::Error;
};

// tqd sent something this library does not understand (a version skew or
// a bug); or a request this library sent was refused as malformed.
class ProtocolError : public Error {
 public:
  using Error::Error;
};

// tqd refused the request before accepting it. code() is the wire code:
// "UNKNOWN_FUNCTION", "TOO_LARGE", "SHUTTING_DOWN", "NOT_FOUND" (no such
// task id), "WRONG_STATE" (kick of a task that is not buried), ...
class RejectedError : public Error {
 public:
  RejectedError(std::string code, std::string message);
  const std::string& code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  std::string code_;
  std::string message_;
};

// The queue is full (code "QUEUE_FULL"): retrying later may succeed.
class QueueFullError : public RejectedError {
 public:
  using RejectedError::RejectedError;
};

// The task's value does not convert to the type the caller asked for.
class ResultTypeError : public Error {
 public:
  using Error::Error;
};

}  // namespace tq
