// tq::Process and tq::Channel: multiprocessing.Process and Pipe over tqd.
//
//   tq::Process p = client.process({.name = "resize-7", .daemon = true}, "resize", path);
//   p.start();                         // submits the task; throws if tqd refuses it
//   p.join(std::chrono::seconds(5));   // true once it has ended
//   p.is_alive(); p.pid(); p.name(); p.exitcode();
//   p.terminate();                     // SIGTERM to its worker, SIGKILL after stop_grace
//
//   auto [child, chan] = client.process_with_pipe("echo_back");
//   child.start();
//   chan.send(std::string("ping"));    // to the task's tq::worker::pipe()
//   std::optional<std::string> reply = chan.recv<std::string>();  // nullopt: end of stream
//
// A Process is one task. Its name is shown by `tq status` and `tq
// workers` (default "Process-N", numbered per program as Python does); a
// daemon one is cancelled when this client's connection goes, as Python's
// daemon processes die with their parent. exitcode() follows Python: 0 when
// the task returned, 1 when it raised (or was buried), -15 (-SIGTERM) when
// terminated or timed out, -N when signal N killed its worker; nullopt
// while it runs or before it starts. Copies share one process. A subclass
// (Python's `class P(Process): def run(self)`) is a class that derives from
// Process and builds it from the function to run.
//
// Messages on a Channel are msgpack values, in order each way; closing
// either end is the end of stream for the other, and a task that ends
// closes its end. send waits until tqd took the message (one round trip),
// and while the task has not read what its pipe holds (PIPE_FULL). Thread-
// safe. Included by tq/client.h.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "tq/client.h"

namespace tq {

struct ProcessOptions {
  std::string name;     // "": "Process-N"
  bool daemon = false;  // cancel it when this client's connection goes
  // Priority, timeout, retries...; its name, daemon and pipe are these.
  SubmitOptions submit;
};

class TQ_EXPORT Process {
 public:
  Process() = default;
  // `args`: the msgpack argument array. `pipe`: with a Channel.
  Process(RawClient& raw, std::string fn, std::string args, ProcessOptions options,
          bool pipe = false);

  // Submits the task and waits for tqd to accept it (one round trip).
  // Throws RejectedError if tqd refuses it, std::logic_error if called twice.
  void start();
  // Waits for the task to end, without limit or within `timeout`; true if
  // it has ended (false also before start()).
  bool join(std::optional<std::chrono::milliseconds> timeout = std::nullopt) const;
  // Started and not ended.
  bool is_alive() const;
  // Cancels the task: queued, it ends at once; running, its worker gets
  // SIGTERM, SIGKILL after tqd's stop_grace. Returns at once.
  void terminate() const;
  void kill() const { terminate(); }
  // Python's exitcode (see above); nullopt while running or before start.
  std::optional<int> exitcode() const;
  // How it ended; nullopt while running or before start.
  std::optional<TaskState> state() const;
  // The pid of the worker running it (one round trip); 0 before it started
  // on one. After it ended, the last worker's.
  std::uint32_t pid() const;
  const std::string& name() const;
  bool daemon() const;
  std::uint64_t task_id() const;
  // The task's call (valid after start()): its outcome, value, progress.
  const RawResult& call() const;
  // The task's return value; throws as AsyncResult::get.
  template <typename R>
  R value() const {
    return detail::Value<R>(call().outcome());
  }

 private:
  friend class Channel;
  struct TQ_HIDDEN State;
  std::shared_ptr<State> state_;
};

class TQ_EXPORT Channel {
 public:
  Channel() = default;
  explicit Channel(Process process) : process_(std::move(process)) {}

  template <typename T>
  void send(const T& message) {
    send_bytes(detail::PackValue(message));
  }
  // The next message as a T; nullopt once the task closed its end or ended.
  template <typename T>
  std::optional<T> recv() {
    std::optional<std::string> bytes = recv_bytes();
    if (!bytes) return std::nullopt;
    return detail::UnpackValue<T>(*bytes, "a pipe message");
  }
  // The next message if one comes within `timeout`; nullopt when none came
  // in time or at the end of stream (then poll() is true at once).
  template <typename T>
  std::optional<T> recv(std::chrono::milliseconds timeout) {
    if (!poll(timeout)) return std::nullopt;
    return recv<T>();
  }
  // Whether recv would return at once, waiting up to `timeout`.
  bool poll(std::chrono::milliseconds timeout = std::chrono::milliseconds(0)) const;
  // Closes this end: the task's recv() then returns nullopt.
  void close();

  // The same with msgpack bytes. send_bytes throws RejectedError
  // WRONG_STATE once either end is closed or the task has ended.
  void send_bytes(std::string msgpack);
  std::optional<std::string> recv_bytes();

 private:
  Process process_;
};

template <typename... Args>
Process Client::process(std::string_view fn, const Args&... args) {
  return process(ProcessOptions{}, fn, args...);
}

template <typename... Args>
Process Client::process(const ProcessOptions& options, std::string_view fn, const Args&... args) {
  return Process(raw_, std::string(fn), detail::PackArgs(args...), options);
}

template <typename... Args>
std::pair<Process, Channel> Client::process_with_pipe(std::string_view fn, const Args&... args) {
  return process_with_pipe(ProcessOptions{}, fn, args...);
}

template <typename... Args>
std::pair<Process, Channel> Client::process_with_pipe(const ProcessOptions& options,
                                                      std::string_view fn, const Args&... args) {
  Process p(raw_, std::string(fn), detail::PackArgs(args...), options, /*pipe=*/true);
  return {p, Channel(p)};
}

}  // namespace tq
