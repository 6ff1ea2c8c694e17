// The exceptions libtq throws. All derive from tq::Error, itself a
// std::runtime_error, so `catch (const tq::Error&)` catches everything tq
// reports and what() is always a complete sentence.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

#include "tq/proto/messages.h"

namespace tq {

using TaskState = proto::TaskState;

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The task ran (or was meant to) and did not produce a value: it threw
// (state failed), its worker died (lost), it was cancelled or timed out.
// type() is the remote error type, e.g. "std::invalid_argument" or
// "tq.WorkerLost"; message() the remote sentence.
class RemoteError : public Error {
 public:
  RemoteError(std::uint64_t task_id, TaskState state, std::string type,
              std::string message);
  std::uint64_t task_id() const { return task_id_; }
  TaskState state() const { return state_; }
  const std::string& type() const { return type_; }
  const std::string& message() const { return message_; }

 private:
  std::uint64_t task_id_;
  TaskState state_;
  std::string type_;
  std::string message_;
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
// "UNKNOWN_FUNCTION", "TOO_LARGE", "SHUTTING_DOWN", ...
class RejectedError : public Error {
 public:
  RejectedError(std::string code, const std::string& message);
  const std::string& code() const { return code_; }

 private:
  std::string code_;
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
