// Process and Channel.
#include <signal.h>

#include <atomic>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "tq/client.h"

namespace tq {
namespace {

// Python's Process-1, Process-2, ...: numbered per program.
std::string NextProcessName() {
  static std::atomic<std::uint64_t> next{1};
  return "Process-" + std::to_string(next++);
}

}  // namespace

struct Process::State {
  RawClient* raw = nullptr;
  std::string fn;
  std::string args;
  SubmitOptions options;
  std::string name;

  std::mutex mu;
  bool started = false;  // guarded by mu
  RawResult call;        // set once, when started
};

Process::Process(RawClient& raw, std::string fn, std::string args, ProcessOptions options,
                 bool pipe)
    : state_(std::make_shared<State>()) {
  state_->raw = &raw;
  state_->fn = std::move(fn);
  state_->args = std::move(args);
  state_->name = options.name.empty() ? NextProcessName() : std::move(options.name);
  state_->options = std::move(options.submit);
  state_->options.name = state_->name;
  state_->options.daemon = options.daemon;
  state_->options.pipe = pipe;
}

void Process::start() {
  if (!state_) throw std::logic_error("start() of an empty Process");
  RawResult call;
  {
    std::lock_guard lock(state_->mu);
    if (state_->started) throw std::logic_error("a process can be started only once");
    state_->started = true;
    state_->call = state_->raw->Submit(state_->fn, state_->args, state_->options);
    call = state_->call;
  }
  // Python's start() raises when the process cannot be made.
  if (call.wait_accepted() == 0) call.outcome().ThrowIfError();
}

const RawResult& Process::call() const {
  if (!state_) throw std::logic_error("an empty Process");
  std::lock_guard lock(state_->mu);
  if (!state_->started) throw std::logic_error("the process has not been started");
  return state_->call;  // immutable once started
}

bool Process::join(std::optional<std::chrono::milliseconds> timeout) const {
  if (!state_) return false;
  {
    std::lock_guard lock(state_->mu);
    if (!state_->started) return false;
  }
  if (!timeout) {
    call().wait();
    return true;
  }
  return call().wait_for(*timeout);
}

bool Process::is_alive() const {
  if (!state_) return false;
  std::lock_guard lock(state_->mu);
  return state_->started && !state_->call.ready();
}

void Process::terminate() const {
  if (!is_alive()) return;
  (void)call().cancel();
}

std::optional<TaskState> Process::state() const {
  if (!state_) return std::nullopt;
  {
    std::lock_guard lock(state_->mu);
    if (!state_->started || !state_->call.ready()) return std::nullopt;
  }
  const Outcome& o = call().outcome();
  if (o.kind == Outcome::Kind::kValue || o.kind == Outcome::Kind::kTaskError) return o.state;
  return TaskState::kLost;  // never reached tqd, or its answer was lost
}

std::optional<int> Process::exitcode() const {
  const std::optional<TaskState> s = state();
  if (!s) return std::nullopt;
  const Outcome& o = call().outcome();
  switch (*s) {
    case TaskState::kDone: return 0;
    case TaskState::kCancelled:
    case TaskState::kTimedOut: return -SIGTERM;
    case TaskState::kLost:
      if (o.details.signal) return -*o.details.signal;
      if (o.details.exit_code) return *o.details.exit_code;
      return 1;
    default: return 1;
  }
}

std::uint32_t Process::pid() const {
  if (!state_) return 0;
  const std::uint64_t id = task_id();
  if (id == 0) return 0;
  try {
    return state_->raw->Status(id).worker_pid;
  } catch (const RejectedError&) {
    return 0;  // its result has expired from tqd
  }
}

const std::string& Process::name() const {
  static const std::string kNone;
  return state_ ? state_->name : kNone;
}

bool Process::daemon() const { return state_ && state_->options.daemon; }

std::uint64_t Process::task_id() const {
  if (!state_) return 0;
  std::lock_guard lock(state_->mu);
  return state_->started ? state_->call.task_id() : 0;
}

// ---- Channel ------------------------------------------------------------------

void Channel::send_bytes(std::string msgpack) {
  const RawResult& call = process_.call();
  const std::uint64_t id = call.wait_accepted();
  if (id == 0) call.outcome().ThrowIfError();
  // While the task has not read enough of what it was sent, wait and try
  // again: a pipe that is full blocks its writer, as an OS pipe does.
  auto backoff = std::chrono::milliseconds(1);
  for (;;) {
    const RawResult sent = process_.state_->raw->PipeSend(id, msgpack);
    const Outcome& o = sent.outcome();
    if (o.ok()) return;
    if (o.kind != Outcome::Kind::kRejected || o.error_type != "PIPE_FULL") o.ThrowIfError();
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, std::chrono::milliseconds(50));
  }
}

std::optional<std::string> Channel::recv_bytes() { return process_.call().pipe_recv(); }

bool Channel::poll(std::chrono::milliseconds timeout) const {
  return process_.call().pipe_poll(timeout);
}

void Channel::close() {
  const RawResult& call = process_.call();
  const std::uint64_t id = call.wait_accepted();
  if (id == 0 || call.ready()) return;  // refused or ended: nothing to close
  // Held by name: the outcome lives in the RawResult, not past it.
  const RawResult closed = process_.state_->raw->PipeClose(id);
  const Outcome& o = closed.outcome();
  // Closed already, or the task ended meanwhile: either way it is closed.
  if (o.kind == Outcome::Kind::kRejected && o.error_type == "WRONG_STATE") return;
  o.ThrowIfError();
}

}  // namespace tq
