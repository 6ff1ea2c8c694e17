// RawClient: libtq's connection to tqd, with arguments and results as
// msgpack-encoded bytes. tq::Client (tq/client.h) adds typed conversions on
// top; use RawClient directly when you already hold msgpack bytes (the tq
// CLI does) or want to avoid msgpack.hpp in a translation unit.
//
// Threading: every method may be called from any thread at any time. One
// I/O thread owns the ZeroMQ socket; callers hand it encoded requests and
// wait on per-call state. Completion callbacks run on a separate callback
// thread, never on the I/O thread, so a slow, blocking or throwing callback
// cannot stop results from arriving (a callback may itself call the client).
//
// Failure: a call whose request cannot reach tqd within connect_timeout,
// or whose connection drops while it is in flight, completes with a
// connection error instead of hanging.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <string>

#include "tq/errors.h"

namespace tq {

struct ClientOptions {
  // ipc://PATH or tcp://HOST:PORT; empty means proto::DefaultEndpoint()
  // ($TQ_ENDPOINT, else $XDG_RUNTIME_DIR/tq/tqd.sock, else /run/tq/tqd.sock).
  std::string endpoint;
  // A request not delivered to tqd within this fails with ConnectionError.
  std::chrono::milliseconds connect_timeout{5000};
  // Called on the callback thread with whatever a completion callback
  // threw. Unset: the exception is dropped. Either way other callbacks and
  // results carry on.
  std::function<void(std::exception_ptr)> on_callback_error;
};

// How a call ended.
struct Outcome {
  enum class Kind {
    kValue,       // the task's value, in `value`
    kTaskError,   // the task failed, was lost, cancelled or timed out
    kRejected,    // tqd refused the request: error_type holds the code
    kConnection,  // not delivered, or the connection dropped
    kProtocol,    // an answer that makes no sense
  };
  Kind kind = Kind::kConnection;
  TaskState state = TaskState::kQueued;  // for kValue / kTaskError
  std::uint64_t task_id = 0;             // 0 until tqd accepted the task
  std::string value;                     // msgpack bytes, for kValue
  std::string error_type;                // remote type, or the wire code
  std::string message;

  bool ok() const { return kind == Kind::kValue; }
  // Throws the tq::Error subclass this outcome stands for; returns if ok().
  void ThrowIfError() const;
};

// What PING tells about the daemon.
struct ServerInfo {
  std::string server;  // "tqd 0.1.0"
  std::uint32_t pid = 0;
  std::uint32_t workers = 0;
};

namespace detail {
struct CallState;
class CompletionQueue;
}  // namespace detail

// A handle to one request in flight. Cheap to copy; all copies share the
// call. Valid after the client is gone (it then holds a ConnectionError).
class RawResult {
 public:
  RawResult() = default;
  explicit RawResult(std::shared_ptr<detail::CallState> state)
      : state_(std::move(state)) {}

  bool valid() const { return state_ != nullptr; }
  // True once the call has ended, however it ended.
  bool ready() const;
  // Blocks until ready() or the timeout; returns ready().
  bool wait_for(std::chrono::milliseconds timeout) const;
  void wait() const;
  // Blocks until ready() and returns the outcome.
  const Outcome& outcome() const;
  // The id tqd gave the task; 0 until ACCEPTED arrived.
  std::uint64_t task_id() const;
  // Runs `fn` on the callback thread once the call has ended (at once if
  // it already has). Requires the RawClient that made the call to be alive.
  void on_done(std::function<void()> fn) const;

 private:
  std::shared_ptr<detail::CallState> state_;
};

class RawClient {
 public:
  explicit RawClient(ClientOptions options = {});
  // Calls still in flight complete with ConnectionError("client closed").
  ~RawClient();
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  // Submits `fn` with `args`, a msgpack-encoded array ("" means no
  // arguments). Never blocks on the network.
  RawResult Submit(std::string_view fn, std::string_view args);
  // Like Submit, and also pushes `tag` into `queue` when the call ends.
  RawResult Submit(std::string_view fn, std::string_view args,
                   const std::shared_ptr<detail::CompletionQueue>& queue,
                   std::size_t tag);
  // Asks tqd who it is. Throws ConnectionError if it does not answer
  // within connect_timeout.
  ServerInfo Ping();

  const std::string& endpoint() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

namespace detail {

// Where calls submitted with a tag report that they ended: map() and
// imap_unordered() wait on one of these for the next finished item.
// Thread-safe.
class CompletionQueue {
 public:
  void Push(std::size_t tag);
  // Blocks for the next tag.
  std::size_t Pop();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_ = MakeImpl();
  static std::shared_ptr<Impl> MakeImpl();
};

}  // namespace detail
}  // namespace tq
