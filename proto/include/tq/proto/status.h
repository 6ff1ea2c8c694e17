// Status and Result<T>: how errors travel between tq's modules.
//
// A Status is either OK or an ErrorCode with a human sentence. ErrorCodes
// marked "wire" are sent to clients in ERROR replies under the name that
// ErrorCodeName() returns; proto/PROTOCOL.md lists them. Values are
// thread-compatible (no shared state).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace tq::proto {

enum class ErrorCode : std::uint8_t {
  kOk = 0,
  // wire: the frame is not one well-formed msgpack map within the limits.
  kMalformed,
  // wire: field "v" is missing or names a protocol this peer does not speak.
  kBadVersion,
  // wire: field "kind" names no message this peer accepts.
  kUnknownKind,
  // wire: a required field is absent.
  kMissingField,
  // wire: a field has the wrong msgpack type.
  kWrongType,
  // wire: a field has the right type but a value out of its domain.
  kBadValue,
  // wire: the message carries a field this protocol version does not define.
  kUnknownField,
  // wire: the message, or its args, exceed the daemon's size limit.
  kTooLarge,
  // wire: no worker offers the requested function.
  kUnknownFunction,
  // wire: the queue holds max_queued tasks; retry later.
  kQueueFull,
  // wire: the daemon is draining and takes no new work.
  kShuttingDown,
  // wire: a bug in tqd; the request was not carried out.
  kInternal,
  // wire: no task has that id (never submitted, or its result expired).
  kNotFound,
  // wire: the task is not in a state the request applies to (kick).
  kWrongState,
  // wire, req 0: tqd dropped replies to this connection because it did not
  // read them (ErrorReply::dropped says how many).
  kRepliesDropped,
  // wire: a durable submit could not be written to tqd's store.
  kStoreFailed,
  // wire: a named object, or tqd's objects together, would hold more than
  // their limit (max_object_bytes, max_object_store_bytes, max_objects).
  kObjectFull,
  // wire: the connection already has max_waiting_per_client blocking
  // calls waiting (queue get/put, acquire, wait).
  kTooManyWaiting,
  // wire: the task has not read what its pipe already holds
  // (max_pipe_bytes); retry later.
  kPipeFull,
  // wire: a batch (PROTOCOL.md §1, "Batches") holds a request of a kind
  // that may only be sent alone.
  kNotBatchable,
  // local only: a system call failed.
  kIo,
  // local only: invalid configuration.
  kConfig,
};

// The stable upper-case name used on the wire, e.g. "UNKNOWN_FUNCTION".
std::string_view ErrorCodeName(ErrorCode code);
// Inverse of ErrorCodeName for the wire codes; nullopt for unknown names.
std::optional<ErrorCode> ParseErrorCode(std::string_view name);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(ErrorCode code, std::string message)
      : code_(code), message_(std::move(message)) {}

  static Status Ok() { return {}; }
  // From errno, with what was being done: "open /x/y: No such file".
  static Status FromErrno(std::string_view what, int err);

  bool ok() const { return code_ == ErrorCode::kOk; }
  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "CODE: message", or "OK".
  std::string ToString() const;

 private:
  ErrorCode code_ = ErrorCode::kOk;
  std::string message_;
};

// A value or a non-OK Status. Small on purpose: g++ 12 has no std::expected
// in C++20 mode.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  // OK when a value is held.
  Status status() const { return ok() ? Status::Ok() : std::get<1>(v_); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace tq::proto

// Returns the Status of `expr` from the enclosing function unless it is OK.
#define TQ_RETURN_IF_ERROR(expr)                    \
  do {                                              \
    ::tq::proto::Status tq_status_ = (expr);        \
    if (!tq_status_.ok()) return tq_status_;        \
  } while (0)
