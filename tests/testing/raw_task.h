// RunTask: submits one task over a RawConnection and waits for how it
// ended, as plain strings, so tests can check states, error types and
// sentences exactly as a client in any language would see them.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "testing/tqd_process.h"

namespace tq::testing {

struct TaskOutcome {
  // "result" (then task_id, state and value or error_type/error_message)
  // or "error" (then code and error_message): the reply that ended it.
  std::string kind;
  std::uint64_t task_id = 0;
  std::string state;
  std::string value;
  std::string error_type;
  std::string error_message;
  std::string code;
};

// Sends SUBMIT {req, fn, args} and returns its RESULT or ERROR, skipping its
// ACCEPTED and any reply to another request; nullopt after `timeout`.
std::optional<TaskOutcome> RunTask(RawConnection& conn, std::uint64_t req,
                                   std::string_view fn, std::string_view args,
                                   std::chrono::milliseconds timeout = std::chrono::seconds(30));

// Waits for the RESULT or ERROR of a request already sent. Replies to other
// requests that arrive meanwhile are discarded.
std::optional<TaskOutcome> AwaitOutcome(RawConnection& conn, std::uint64_t req,
                                        std::chrono::milliseconds timeout = std::chrono::seconds(30));
// The same for several requests at once, whatever order they end in: what
// arrived within `timeout`, by request id.
std::map<std::uint64_t, TaskOutcome> AwaitOutcomes(
    RawConnection& conn, const std::vector<std::uint64_t>& reqs,
    std::chrono::milliseconds timeout = std::chrono::seconds(30));

// The ERROR reply a request should get, decoded.
struct ErrorSeen {
  std::string code;
  std::string message;
  std::uint64_t request_id = 0;
};
// Sends `frame` and returns the next reply if it is an ERROR; nullopt if it
// is anything else, or none comes within RawConnection's default wait.
std::optional<ErrorSeen> SendForError(RawConnection& conn, std::string_view frame);

// msgpack-encoded argument arrays for the common cases.
std::string ArgsOf(std::int64_t x);
std::string ArgsOf(std::string_view s);

}  // namespace tq::testing
