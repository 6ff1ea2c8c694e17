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
// connection error instead of hanging. With an ipc:// endpoint whose socket
// file does not exist, calls fail within a second ("no tqd at PATH": time
// for a tqd started a moment ago to bind); connect_timeout is for a socket
// that exists but does not answer, and for Ping(), which waits for one.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tq/errors.h"
#include "tq/export.h"

namespace tq {

struct ClientOptions {
  // ipc://PATH or tcp://HOST:PORT. Empty: $TQ_ENDPOINT if set, else your
  // own tqd's socket if it exists ($XDG_RUNTIME_DIR/tq/tqd.sock, when not
  // root), else the system one, /run/tq/tqd.sock (README, "Endpoint").
  std::string endpoint;
  // A request not delivered to tqd within this fails with ConnectionError.
  std::chrono::milliseconds connect_timeout{5000};
  // ZeroMQ heartbeats: a PING to tqd this often, and a connection silent
  // for heartbeat_timeout counts as lost, so the calls in flight on it
  // fail with ConnectionError instead of waiting for a tqd that is stopped
  // or whose host vanished (PROTOCOL.md §1). 0: no heartbeats of our own
  // (tqd's still time out a dead tqd, after its heartbeat_timeout).
  std::chrono::milliseconds heartbeat_interval{1000};
  std::chrono::milliseconds heartbeat_timeout{5000};
  // Most submitted tasks unfinished at once (0: no limit). When that many
  // are in flight, Submit / apply_async blocks until one ends; a client
  // that submits faster than tqd runs then waits instead of meeting
  // QueueFullError. Counts every task this client submits, map's included.
  std::size_t max_in_flight = 0;
  // Called on the callback thread with whatever a completion callback
  // threw. Unset: the exception is dropped. Either way other callbacks and
  // results carry on.
  std::function<void(std::exception_ptr)> on_callback_error;
  // For a task's own client (tq::worker::client()): the task a call is
  // made for, asked at each lock or semaphore call, so that what the task
  // holds is released when it ends. Unset or 0: calls are the connection's.
  std::function<std::uint64_t()> calling_task;
};

class TaskGroup;

// How a task is to be run. Zero/empty fields take tqd's defaults.
struct SubmitOptions {
  int priority = 0;                       // -1000..1000, higher runs first
  std::chrono::milliseconds timeout{0};   // 0: tqd's --task-timeout
  std::chrono::milliseconds delay{0};     // run no earlier than now + delay
  unsigned max_retries = 0;               // further attempts after a failure
  // States that are retried; empty: lost and timed_out.
  std::vector<TaskState> retry_on;
  std::chrono::milliseconds retry_backoff{0};  // 0: 1 s, doubling each time
  // Idempotency key: a second submit with the same key while the first
  // task is known to tqd returns the first task instead of a new one.
  std::string key;
  // Durable: on tqd's disk before it is accepted, so it survives a crash or
  // restart of tqd (README, Durability). Unset: tqd's `durable` setting.
  std::optional<bool> durable;
  // A name for the task (1-128 bytes of printable UTF-8), shown by
  // `tq status` and `tq workers` (Process.name); the tasks of one resumable
  // map share one (RawClient::Job counts them). "" for none.
  std::string name;
  // With `key`: when the key names a task that ended other than done (it
  // failed, was lost, ...), run a new task under the key instead of
  // returning the old one. A resumable map re-runs its failed items so.
  bool rerun_failed = false;
  // Cancel the task when this client's connection goes (Process.daemon).
  // Such a task is never durable (tqd ignores `durable` for it).
  bool daemon = false;
  // Give this call a two-way pipe to the running task (Channel,
  // RawResult::pipe_recv, RawClient::PipeSend).
  bool pipe = false;
  // Tracks the call in this group (tq::Pool uses one to join or cancel
  // its own tasks and no others). Null: none.
  std::shared_ptr<TaskGroup> group;
  // false: an ack-less submit. tqd sends no ACCEPTED with the task's id,
  // only the result (or the error that refuses the task), which saves a
  // message per task when nothing needs the id early; Client::map and the
  // imaps submit so. The call then learns its task's id with the result:
  // until that, task_id() is 0, wait_accepted() waits for the result, and
  // cancel() cannot name the task and returns false (forget() still stops
  // the wait). A durable task's result comes only once it is on disk, as
  // ever, but nothing tells you it got there earlier. Ignored (the id
  // comes as usual) with `pipe` or `group`, which need it. A tqd older
  // than ack-less submits refuses them; libtq then sends them again,
  // acknowledged, and keeps to that on this connection.
  bool ack = true;
};

// What tqd knows of a task (status, cancel, kick).
struct TaskInfo {
  std::uint64_t task_id = 0;
  TaskState state = TaskState::kQueued;
  std::string fn;
  int priority = 0;
  std::uint32_t attempts = 0;
  std::uint32_t worker_pid = 0;     // current or last worker; 0: none yet
  std::int64_t queued_at_ms = 0;    // Unix time in ms; 0: not yet
  std::int64_t started_at_ms = 0;
  std::int64_t finished_at_ms = 0;
  // When it failed (or while a retry waits): type, message and details.
  std::optional<std::string> error_type;
  std::string error_message;
  ErrorDetails error;
  std::string name;  // as submitted; "" for none
  // Who submitted it, as the kernel told tqd (ipc:// only): the uid and
  // pid of the submitting process; -1 and 0 when tqd does not know.
  std::int64_t submitter_uid = -1;
  std::uint32_t submitter_pid = 0;
};

// How far a running task has got, as its function reported it
// (tq::progress() in the task SDK).
struct Progress {
  double done = 0;
  double total = 0;  // 0: unknown
  std::string message;
};

// One worker of the pool (tq workers).
struct WorkerStatus {
  std::uint32_t slot = 0;
  std::uint32_t pid = 0;
  std::string state;  // "starting", "idle", "busy", "stopping"
  std::uint64_t task_id = 0;  // while busy
  std::string fn;
  std::uint64_t tasks_done = 0;
  std::uint64_t uptime_ms = 0;
  std::uint64_t rss_bytes = 0;
  std::string name;  // of that task, if it has one
  std::uint64_t task_ms = 0;  // how long its task has run; 0 without one
  // Who submitted its task, as in TaskInfo; -1 and 0 when idle or unknown.
  std::int64_t submitter_uid = -1;
  std::uint32_t submitter_pid = 0;
  // The host of an agent's worker ("" for tqd's own), and how long ago
  // that agent was last heard from.
  std::string host;
  std::uint64_t beat_age_ms = 0;
};

// How many tasks ended in each final state.
struct StateCounts {
  std::uint64_t done = 0, failed = 0, timed_out = 0, cancelled = 0, lost = 0, buried = 0;
  std::uint64_t total() const { return done + failed + timed_out + cancelled + lost + buried; }
};

// Worker processes that ended, other than by being retired (the pool
// shrank, or tqd shut down), by cause (tq stats; README, "Watching tqd").
struct RestartCounts {
  std::uint64_t exit = 0;      // it exited on its own
  std::uint64_t signal = 0;    // a signal killed it
  std::uint64_t oom = 0;       // the kernel's OOM killer
  std::uint64_t protocol = 0;  // killed for breaking the pipe protocol
  std::uint64_t recycled = 0;  // max_tasks_per_worker, max_rss_per_worker
  std::uint64_t stopped = 0;   // its task timed out or was cancelled
};

// A distribution of durations: percentiles within 3.1%, max and sum exact.
struct DurationStats {
  std::uint64_t count = 0;
  std::chrono::microseconds sum{0}, p50{0}, p90{0}, p99{0}, max{0};
};

// What happened over a span of time: since tqd started, or its last
// minute (the last 60 to 70 s; less just after tqd started).
struct WindowStats {
  std::chrono::milliseconds span{0};  // divide by it for rates
  std::uint64_t submitted = 0;        // tasks accepted
  StateCounts ended;
  RestartCounts restarts;
  DurationStats queue_wait;  // from when a task could run to its start, per attempt
  DurationStats run_time;    // from its start to its outcome, per attempt
};

// One function's tasks since tqd started; fn "" counts the functions
// beyond the 256 tqd tracks together.
struct FunctionStats {
  std::string fn;
  std::uint64_t submitted = 0;
  StateCounts ended;
};

// The queue and the pool now, and what happened since tqd started and over
// the last minute (tq status, tq stats, tq top). A tqd older than tq stats
// leaves everything after `recent` zero, but since_start.ended.
struct QueueStats {
  std::uint64_t queued = 0;
  std::uint64_t running = 0;
  std::uint32_t workers = 0;  // worker processes, in any state
  std::uint32_t starting = 0, idle = 0, busy = 0, stopping = 0;
  // The last tasks to end, newest first (task_id, fn, state, attempts,
  // queued_at_ms, finished_at_ms set).
  std::vector<TaskInfo> recent;
  WindowStats since_start;  // span: tqd's uptime
  WindowStats last_minute;
  std::vector<FunctionStats> functions;  // by name
  // The tasks tqd holds (queued, running, or ended and kept for their
  // TTL) and how many of them are durable; its store's file and size on
  // disk; and why the store last failed to commit ("" while it works).
  std::uint64_t tasks = 0;
  std::uint64_t durable_tasks = 0;
  std::string store_path;
  std::uint64_t store_bytes = 0;
  std::string store_error;
  // Workers by host when tqd has agents ("local" first); empty without.
  struct Host {
    std::string host;
    std::uint32_t workers = 0, busy = 0;
    std::uint64_t tasks_done = 0;
  };
  std::vector<Host> hosts;
};

// What the tasks of one name have come to (RawClient::Job).
struct JobStatus {
  std::string name;
  std::uint64_t queued = 0, running = 0, done = 0;
  std::uint64_t failed = 0;  // ended any other way than done
  struct Failure {
    std::uint64_t task_id = 0;
    std::string key;
    TaskState state = TaskState::kFailed;
    std::string message;
  };
  std::vector<Failure> failures;  // the first 100 by id
};

// How a call ended.
struct Outcome {
  enum class Kind {
    kValue,       // the task's value, in `value`
    kTaskError,   // the task failed, was lost, cancelled or timed out
    kRejected,    // tqd refused the request: error_type holds the code
    kConnection,  // not delivered, or the connection dropped
    kProtocol,    // an answer that makes no sense
    kForgotten,   // the caller stopped waiting (RawResult::forget)
  };
  Kind kind = Kind::kConnection;
  TaskState state = TaskState::kQueued;  // for kValue / kTaskError
  std::uint64_t task_id = 0;             // 0 until tqd accepted the task
  std::uint32_t attempts = 0;            // runs started, retries included
  std::string value;                     // msgpack bytes, for kValue
  std::string error_type;                // remote type, or the wire code
  std::string message;
  ErrorDetails details;                  // for kTaskError

  bool ok() const { return kind == Kind::kValue; }
  // Throws the tq::Error subclass this outcome stands for; returns if ok().
  TQ_EXPORT void ThrowIfError() const;
};

// What PING tells about the daemon.
struct ServerInfo {
  std::string server;  // "tqd 0.1.0"
  std::uint32_t pid = 0;
  std::uint32_t workers = 0;
  // Changes at every start of tqd: compare two pings to tell a restart.
  std::string instance;
  std::int64_t started_at_ms = 0;  // Unix time of that start
};

// A function the workers offer (tq functions).
struct FunctionInfo {
  std::string name;
  std::string origin;  // the plugin's path; "" for one built into the worker
};

// The kinds of named object tqd hosts (tq/objects.h has typed handles).
enum class ObjectType { kDict, kList, kQueue, kLock, kSemaphore, kEvent };

// One call on a named object, with keys and values as msgpack bytes
// (PROTOCOL.md §2, "Named objects", says which op takes which field).
struct ObjectCall {
  ObjectType type = ObjectType::kDict;
  std::string name;
  std::string op;  // "get", "set", "incr", "put", "acquire", ...
  std::string key;
  std::string value;
  std::optional<std::string> expect;  // cas: absent means "no such key"
  std::vector<std::string> keys, values;
  std::int64_t index = 0;
  std::optional<std::int64_t> stop;
  std::int64_t by = 1;
  // Blocking ops: how long tqd may wait; unset: without limit; 0: not at all.
  std::optional<std::chrono::milliseconds> timeout;
  std::uint64_t count = 0;     // get_many
  std::uint64_t capacity = 0;  // a queue this call creates; 0: unbounded
  std::uint64_t initial = 1;   // a semaphore this call creates
  std::uint64_t cursor = 0;    // keys, items: from a previous answer's cursor
};

// What tqd answered an object call (only the fields its op gives).
struct ObjectAnswer {
  std::optional<std::string> value;
  std::vector<std::string> keys, values;
  std::optional<std::uint64_t> size;
  std::optional<bool> ok;
  bool broken = false;     // acquire: its last holder ended holding it
  bool timed_out = false;  // a blocking call gave up waiting
  std::uint64_t cursor = 0;  // more follow: call again with it
};

namespace detail {
struct CallState;
class CompletionQueue;
// What a submit's args hold: one argument array (kCall), or an array of
// argument arrays, fn applied to each in one task, the value an array of
// per-item outcomes [0, value] / [1, type, message] (kChunk, PROTOCOL.md
// §4.9; Client::map's chunks).
enum class ArgsShape { kCall, kChunk };
// What a call needs of its client after submission: cancellation.
class CallOwner {
 public:
  virtual ~CallOwner() = default;
  virtual void CancelCall(const std::shared_ptr<CallState>& call) = 0;
  virtual void ForgetCall(const std::shared_ptr<CallState>& call) = 0;
};
}  // namespace detail

// A handle to one request in flight. Cheap to copy; all copies share the
// call. Valid after the client is gone (it then holds a ConnectionError).
class TQ_EXPORT RawResult {
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
  // The id tqd gave the task; 0 until ACCEPTED arrived (for an ack-less
  // submit, SubmitOptions::ack, until its result did).
  std::uint64_t task_id() const;
  // Blocks until tqd accepted the task (its id) or the call ended without
  // that (0: refused or unreachable; see outcome()). An ack-less submit's
  // id comes only with its result: this waits for that.
  std::uint64_t wait_accepted() const;
  // Runs `fn` on the callback thread once the call has ended (at once if
  // it already has). Requires the RawClient that made the call to be alive.
  void on_done(std::function<void()> fn) const;
  // The task's latest progress report, if it made one.
  std::optional<Progress> progress() const;
  // Calls fn with every progress report from now on, in order, on the
  // callback thread.
  void on_progress(std::function<void(const Progress&)> fn) const;
  // Asks tqd to cancel the task: a queued task ends at once, a running one
  // has its worker stopped. The call then ends "cancelled" (unless the task
  // ended first). Returns at once; false if the call had already ended,
  // its client is gone, or it is an ack-less submit (SubmitOptions::ack),
  // whose task nothing can name before its result.
  bool cancel() const;
  // Stops waiting without cancelling the task: tqd sends this call no more
  // progress and no result, and the call ends at once with ForgottenError.
  // The task runs on; anyone may wait for it by id. False if the call had
  // already ended or its client is gone.
  bool forget() const;

  // An object call's answer (waits; empty for other calls). outcome()
  // says whether it failed, and its `value` is the answer's value, or nil.
  const ObjectAnswer& answer() const;

  // A call submitted with SubmitOptions::pipe: the task's messages, in
  // order. pipe_recv blocks for the next one; nullopt once the task closed
  // its end or ended (and everything it sent was read). pipe_poll waits up
  // to `timeout` for pipe_recv to have something to return at once.
  std::optional<std::string> pipe_recv() const;
  bool pipe_poll(std::chrono::milliseconds timeout) const;

 private:
  std::shared_ptr<detail::CallState> state_;
};

class TQ_EXPORT RawClient {
 public:
  // Connects to options.endpoint and starts the client's I/O thread (and,
  // on first need, its callback thread). Connecting does not wait for tqd:
  // a tqd that is not there shows as calls failing with ConnectionError.
  // Throws ConnectionError if the endpoint is malformed or the client's
  // sockets cannot be made.
  explicit RawClient(ClientOptions options = {});
  // Calls still in flight complete with ConnectionError("client closed").
  ~RawClient();
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  // Submits `fn` with `args`, a msgpack-encoded array ("" means no
  // arguments). Never blocks on the network; blocks while
  // ClientOptions::max_in_flight tasks of this client are unfinished.
  RawResult Submit(std::string_view fn, std::string_view args,
                   const SubmitOptions& options = {});
  // Like Submit, and also pushes `tag` into `queue` (may be null) when the
  // call ends; `shape` says what args holds.
  RawResult Submit(std::string_view fn, std::string_view args,
                   const SubmitOptions& options,
                   const std::shared_ptr<detail::CompletionQueue>& queue,
                   std::size_t tag,
                   detail::ArgsShape shape = detail::ArgsShape::kCall);

  // The result of any task by id, also one another client submitted, as
  // long as tqd keeps it (result_ttl). Fails with RejectedError NOT_FOUND
  // for an unknown or expired id.
  RawResult Wait(std::uint64_t task_id);
  // These block for tqd's answer and throw on failure (NOT_FOUND for an
  // unknown id, WRONG_STATE to kick a task that is not buried).
  TaskInfo Status(std::uint64_t task_id);
  TaskInfo Cancel(std::uint64_t task_id);
  TaskInfo Kick(std::uint64_t task_id);
  // The pool and the queue, now. Blocking; throws on failure.
  std::vector<WorkerStatus> Workers();
  QueueStats Stats();
  // The same figures in Prometheus' text exposition format, as tqd's
  // --metrics endpoint serves them.
  std::string MetricsText();
  // The functions the workers offer, by name.
  std::vector<FunctionInfo> Functions();
  // The tasks named `name`, by state. Blocking; throws on failure.
  JobStatus Job(const std::string& name);
  // A call on a named object; never blocks on the network. Its RawResult
  // ends with the answer (answer()), or a RejectedError (OBJECT_FULL,
  // QUEUE_FULL, TOO_MANY_WAITING, NOT_FOUND, ...) for outcome().
  RawResult Object(const ObjectCall& call);
  // A message (msgpack) on the pipe of a task this client submitted with
  // SubmitOptions::pipe, or the close of this end. The RawResult ends when
  // tqd took it: PIPE_FULL if the task has not read enough of what it was
  // sent, WRONG_STATE once either end is closed.
  RawResult PipeSend(std::uint64_t task_id, std::string data);
  RawResult PipeClose(std::uint64_t task_id);
  // Asks tqd who it is. Throws ConnectionError if it does not answer
  // within connect_timeout, a missing socket included: a script starts
  // tqd, then waits for it with Ping().
  ServerInfo Ping();

  const std::string& endpoint() const;

 private:
  class TQ_HIDDEN Impl;
  std::shared_ptr<Impl> impl_;  // shared: calls hold it weakly, to cancel
};

// Calls that belong together (a tq::Pool's), to wait for or cancel them
// all and no others. Thread-safe; cheap to share (SubmitOptions::group).
class TQ_EXPORT TaskGroup {
 public:
  TaskGroup();
  // Adds a call (RawClient::Submit does, for calls with this group).
  void Add(const RawResult& call);
  // Asks tqd to cancel every call of the group that has not ended (queued
  // or running), and waits for each to end; returns how many it asked.
  std::size_t CancelAll();
  // Waits until every call of the group has ended.
  void WaitAll();
  // Calls added and not yet ended.
  std::size_t unfinished() const;

 private:
  struct TQ_HIDDEN Impl;
  std::shared_ptr<Impl> impl_;
};

namespace detail {

// Where calls submitted with a tag report that they ended: map() and
// imap_unordered() wait on one of these for the next finished item.
// Thread-safe.
class TQ_EXPORT CompletionQueue {
 public:
  void Push(std::size_t tag);
  // Blocks for the next tag. With `pushed_at`, also says when it was
  // pushed (when its call ended), for map's chunk sizing.
  std::size_t Pop(std::chrono::steady_clock::time_point* pushed_at = nullptr);

 private:
  struct TQ_HIDDEN Impl;
  std::shared_ptr<Impl> impl_ = MakeImpl();
  static std::shared_ptr<Impl> MakeImpl();
};

}  // namespace detail
}  // namespace tq
