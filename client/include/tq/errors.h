// The exceptions libtq throws. All derive from tq::Error, itself a
// std::runtime_error, so `catch (const tq::Error&)` catches everything tq
// reports and what() is always a complete sentence.
#pragma once

#include <cstdint>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <typeinfo>

#include "tq/export.h"
#include "tq/task_state.h"

namespace tq {

class TQ_EXPORT Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
  ~Error() override;  // out of line: one type_info, in libtq
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
class TQ_EXPORT RemoteError : public Error {
 public:
  RemoteError(std::uint64_t task_id, TaskState state, std::uint32_t attempts,
              std::string type, std::string message, ErrorDetails details);
  ~RemoteError() override;
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
class TQ_EXPORT TimeoutError : public Error {
 public:
  using Error::Error;
  ~TimeoutError() override;
};

// tqd could not be reached, the connection was lost while the request was
// in flight, or the Client was destroyed first.
class TQ_EXPORT ConnectionError : public Error {
 public:
  using Error::Error;
  ~ConnectionError() override;
};

// The caller stopped waiting (forget()): tqd sends the call nothing more.
// The task itself goes on; wait for it by id to get its result.
class TQ_EXPORT ForgottenError : public Error {
 public:
  using Error::Error;
  ~ForgottenError() override;
};

// tqd sent something this library does not understand (a version skew or
// a bug); or a request this library sent was refused as malformed.
class TQ_EXPORT ProtocolError : public Error {
 public:
  using Error::Error;
  ~ProtocolError() override;
};

// tqd refused the request before accepting it. code() is the wire code:
// "UNKNOWN_FUNCTION", "TOO_LARGE", "SHUTTING_DOWN", "NOT_FOUND" (no such
// task id), "WRONG_STATE" (kick of a task that is not buried), ...
class TQ_EXPORT RejectedError : public Error {
 public:
  RejectedError(std::string code, std::string message);
  ~RejectedError() override;
  const std::string& code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  std::string code_;
  std::string message_;
};

// The queue is full (code "QUEUE_FULL"): retrying later may succeed.
class TQ_EXPORT QueueFullError : public RejectedError {
 public:
  using RejectedError::RejectedError;
  ~QueueFullError() override;
};

// The task's value does not convert to the type the caller asked for.
// what() names both: "task 12: expected long, got str \"abc\"".
class TQ_EXPORT ResultTypeError : public Error {
 public:
  using Error::Error;
  ~ResultTypeError() override;
};

namespace detail {
// A C++ type as a reader would write it, for ResultTypeError: "long",
// "std::string", "std::vector<int>".
TQ_EXPORT std::string TypeName(const std::type_info& type);
// The tq::Error an exception_ptr holds (nullptr if none, or not a
// tq::Error). The pointer lives as long as the exception object.
TQ_EXPORT const Error* ErrorIn(const std::exception_ptr& e) noexcept;
}  // namespace detail

}  // namespace tq
