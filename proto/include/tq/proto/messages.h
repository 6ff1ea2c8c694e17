// The messages of protocol v1, as plain structs (proto/PROTOCOL.md is the
// wire spec; this header is its C++ mirror).
//
// Decoded messages hold string_views into the frame they came from: the
// frame must outlive them. The same structs are what the encoders take.
// "args" and "value" are opaque msgpack-encoded bytes carried in a msgpack
// bin: tqd routes them without parsing them.
#pragma once

#include <array>
#include <cstddef>
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
  kBuried,  // parked after killing its worker too often; `kick` requeues
};

// "queued", "running", "done", "failed", "timed_out", "cancelled", "lost",
// "buried".
std::string_view TaskStateName(TaskState state);
std::optional<TaskState> ParseTaskState(std::string_view name);
// True for the states in which a task has ended (buried included: it has
// ended unless someone kicks it).
inline bool IsFinal(TaskState s) {
  return s != TaskState::kQueued && s != TaskState::kRunning;
}

// The final states, in the order listings show them.
inline constexpr TaskState kFinalStates[] = {TaskState::kDone,      TaskState::kFailed,
                                             TaskState::kTimedOut,  TaskState::kCancelled,
                                             TaskState::kLost,      TaskState::kBuried};

// How many tasks ended in each final state.
struct EndedCounts {
  std::array<std::uint64_t, 8> by_state{};  // by TaskState; queued, running stay 0

  std::uint64_t& operator[](TaskState s) { return by_state[static_cast<std::size_t>(s)]; }
  std::uint64_t operator[](TaskState s) const {
    return by_state[static_cast<std::size_t>(s)];
  }
  bool operator==(const EndedCounts&) const = default;
};

// Why a worker process ended, when it was not retired (the pool shrank, or
// tqd shut down): queue_stats' `restarts`. The first four are also the
// `cause` of a task lost with its worker.
enum class RestartCause : std::uint8_t {
  kExit,      // it exited on its own
  kSignal,    // a signal killed it, other than below
  kOom,       // the kernel's OOM killer
  kProtocol,  // tqd killed it for breaking the pipe protocol (or a late hello)
  kRecycled,  // after max_tasks_per_worker tasks, or above max_rss_per_worker
  kStopped,   // tqd stopped it: its task timed out or was cancelled
};
inline constexpr std::size_t kRestartCauses = 6;
// "exit", "signal", "oom", "protocol", "recycled", "stopped".
std::string_view RestartCauseName(RestartCause cause);
std::optional<RestartCause> ParseRestartCause(std::string_view name);
using RestartCounts = std::array<std::uint64_t, kRestartCauses>;  // by RestartCause

// Why a task did not produce a value. type and message always; the rest
// when they apply.
struct ErrorInfo {
  std::string_view type;     // e.g. "std::runtime_error", "tq.WorkerLost"
  std::string_view message;  // a human sentence
  // Machine-readable cause: "exception", "exit", "signal", "oom",
  // "timeout", "cancelled", "shutdown", "protocol", "buried"; "" if unset.
  std::string_view cause;
  std::uint32_t pid = 0;                 // the worker involved, if any
  std::optional<std::int32_t> exit_code;  // cause "exit"
  std::optional<std::int32_t> signal;     // cause "signal" / "oom"
  std::uint64_t rss_bytes = 0;           // the worker's RSS last seen
  std::uint64_t timeout_ms = 0;          // cause "timeout"
  std::string_view stack;                // where a timed-out task was
};

// Which final states a task is retried from (bits).
enum RetryOn : std::uint8_t {
  kRetryFailed = 1,
  kRetryLost = 2,
  kRetryTimedOut = 4,
};

// ---- client -> tqd --------------------------------------------------------

struct SubmitRequest {
  std::uint64_t request_id = 0;  // chosen by the client, non-zero, echoed
  std::string_view fn;
  std::string_view args;  // msgpack array, encoded; empty means []
  // Options; zero/empty means the daemon's default.
  std::int32_t priority = 0;       // higher runs first; -1000..1000
  std::uint64_t timeout_ms = 0;    // 0: tqd's --task-timeout
  std::uint64_t delay_ms = 0;      // not before now + delay
  std::uint32_t max_retries = 0;   // further attempts after a failure
  std::uint8_t retry_on = 0;       // RetryOn bits; 0: lost | timed_out
  std::uint64_t retry_backoff_ms = 0;  // 0: 1000, doubling per attempt
  std::string_view key;            // idempotency key; "" for none
  // args is an array of argument arrays, fn is applied to each, and the
  // value is an array of per-item outcomes (PROTOCOL.md §4.9).
  bool chunk = false;
  // On disk before ACCEPTED (PROTOCOL.md §4.11); unset: tqd's default.
  std::optional<bool> durable;
  // A name for the task ("" for none): shown in listings; the tasks of one
  // resumable map share it (the `job` request counts them).
  std::string_view name;
  // With `key`: when the key names a task that ended other than done, a
  // new task takes the key over instead of the submit joining the old one.
  bool rerun_failed = false;
  // Cancelled when the submitting connection goes (Process.daemon); never
  // durable (PROTOCOL.md §4.11).
  bool daemon = false;
  // The submitting connection and the running task get a two-way channel
  // (PROTOCOL.md §2, "pipe").
  bool pipe = false;
  // false: tqd sends no ACCEPTED when it takes the task (its errors and its
  // RESULT, matched by request_id, still come): for a client that does not
  // need the task id before the result (PROTOCOL.md §2, "ack").
  bool ack = true;
};

struct PingRequest {
  std::uint64_t request_id = 0;
};

// cancel, kick, status and wait all name one task.
enum class TaskVerb : std::uint8_t { kCancel, kKick, kStatus, kWait };
std::string_view TaskVerbName(TaskVerb verb);  // "cancel", ...

struct TaskRequest {
  std::uint64_t request_id = 0;
  TaskVerb verb = TaskVerb::kStatus;
  std::uint64_t task_id = 0;
};

// workers, stats and functions: what the pool, the queue and the offered
// functions look like now; metrics: the same figures as Prometheus text.
enum class Listing : std::uint8_t { kWorkers, kStats, kFunctions, kMetrics };

struct ListRequest {
  std::uint64_t request_id = 0;
  Listing what = Listing::kStats;
};

// What the tasks named `name` have come to (a resumable map's progress).
struct JobRequest {
  std::uint64_t request_id = 0;
  std::string_view name;
};

// Stops one waiting request of a task (the submit's, a duplicate submit's
// or a wait's) without cancelling the task: it gets no more progress and
// no result.
struct UnwaitRequest {
  std::uint64_t request_id = 0;
  std::uint64_t task_id = 0;
  std::uint64_t waiting_request_id = 0;  // the "req" of the request to stop
};

// ---- named objects (PROTOCOL.md §2, "Named objects") ----------------------

// The kinds of named object tqd hosts; each kind has its own names.
enum class ObjectType : std::uint8_t { kDict, kList, kQueue, kLock, kSemaphore, kEvent };
inline constexpr std::size_t kObjectTypes = 6;
std::string_view ObjectTypeName(ObjectType type);  // "dict", ...

// What a request does to its object. Which ops a type takes, and which
// fields each op reads, is one table (proto/src/decode_objects.cc).
enum class ObjectOp : std::uint8_t {
  kGet, kSet, kSetDefault, kDel, kIncr, kCas, kKeys, kItems, kSize, kUpdate,
  kClear, kDrop, kAppend, kExtend, kSlice, kPut, kGetMany, kAcquire, kRelease,
  kValue, kWait, kIsSet,
};
std::string_view ObjectOpName(ObjectOp op);  // "get", "setdefault", ...
// The op named `name`, if `type` takes it.
std::optional<ObjectOp> ParseObjectOp(ObjectType type, std::string_view name);

// Most items one request carries (update, extend) or one reply holds
// (keys, items, slice, get_many): the decoders' array limit.
inline constexpr std::size_t kMaxObjectItems = 4096;

// One call on a named object. Keys and values are msgpack-encoded bytes,
// each exactly one msgpack value; tqd compares keys byte for byte and reads
// values only as integers (incr, cas).
struct ObjectRequest {
  std::uint64_t request_id = 0;
  ObjectType type = ObjectType::kDict;
  ObjectOp op = ObjectOp::kGet;
  std::string_view name;
  std::string_view key;
  std::string_view value;
  std::optional<std::string_view> expect;  // cas: absent means "no such key"
  std::vector<std::string_view> keys;      // update
  std::vector<std::string_view> values;    // update, extend
  std::int64_t index = 0;                  // list get, set, slice start
  std::optional<std::int64_t> stop;        // slice end, exclusive; absent: the end
  std::int64_t by = 1;                     // incr
  // Blocking ops (queue put/get, acquire, wait): how long to wait; absent:
  // without limit; 0: not at all.
  std::optional<std::uint64_t> timeout_ms;
  std::uint64_t count = 0;     // get_many: most items, 1..kMaxObjectItems
  std::uint64_t capacity = 0;  // queue, when this request creates it; 0: none
  std::uint64_t initial = 1;   // semaphore, when this request creates it
  std::uint64_t cursor = 0;    // keys, items: go on from a reply's cursor
  std::uint64_t task_id = 0;   // the task making the call (owns locks); 0: none
};

// A message on a task's pipe, or the end of one side (close): client <->
// tqd with request_id (the submit's), tqd <-> worker with 0.
struct PipeMessage {
  std::uint64_t request_id = 0;
  std::uint64_t task_id = 0;
  std::string_view data;  // one msgpack value; empty when close
  bool close = false;
};

using ClientMessage =
    std::variant<SubmitRequest, PingRequest, TaskRequest, ListRequest, UnwaitRequest,
                 JobRequest, ObjectRequest, PipeMessage>;

// Every kind of request, one per name on the wire. They are rows of one
// table (proto/src/decode_client.cc) that holds each one's name and
// decoder; tqd's dispatcher keys its handlers on them.
enum class RequestKind : std::uint8_t {
  kSubmit,
  kPing,
  kCancel,
  kKick,
  kStatus,
  kWait,
  kWorkers,
  kStats,
  kFunctions,
  kUnwait,
  kMetrics,
  kJob,
  kDict,
  kList,
  kQueue,
  kLock,
  kSemaphore,
  kEvent,
  kPipe,
  kPipeClose,
};
inline constexpr std::size_t kRequestKinds = 20;

std::string_view RequestKindName(RequestKind kind);  // "submit", ...
// Whether a request of `kind` may be one element of a batch (PROTOCOL.md
// §1, "Batches"): submit, cancel and unwait.
bool IsBatchable(RequestKind kind);
RequestKind KindOf(const ClientMessage& m);

// How far a running task has got, as its function reported it. From a
// worker, request_id is 0; tqd forwards it to every request waiting on the
// task with that request's id.
struct TaskProgress {
  std::uint64_t request_id = 0;
  std::uint64_t task_id = 0;
  double done = 0;
  double total = 0;          // 0: unknown
  std::string_view message;  // "" for none
};

// ---- tqd -> client --------------------------------------------------------

struct Accepted {
  std::uint64_t request_id = 0;
  std::uint64_t task_id = 0;
  bool duplicate = false;  // the key named a task submitted earlier
};

struct TaskResult {
  std::uint64_t request_id = 0;
  std::uint64_t task_id = 0;
  TaskState state = TaskState::kDone;  // final
  std::uint32_t attempts = 0;          // runs started, retries included
  std::string_view value;              // msgpack, when state == kDone
  ErrorInfo error;                     // when state != kDone
};

// What tqd knows of a task: the reply to status, cancel and kick.
struct TaskStatus {
  std::uint64_t request_id = 0;
  std::uint64_t task_id = 0;
  TaskState state = TaskState::kQueued;
  std::string_view fn;
  std::int32_t priority = 0;
  std::uint32_t attempts = 0;
  std::uint32_t worker_pid = 0;      // while running, else the last one
  std::int64_t queued_at_ms = 0;     // Unix time, ms
  std::int64_t started_at_ms = 0;    // 0 if it never started
  std::int64_t finished_at_ms = 0;   // 0 until final
  std::optional<ErrorInfo> error;    // when final and not done
  std::string_view name;             // as submitted; "" for none
  // Who submitted it, from the ipc:// peer's credentials: -1 / 0 when
  // unknown (a tcp:// client), and then absent on the wire.
  std::int64_t submitter_uid = -1;
  std::uint32_t submitter_pid = 0;
};

struct ErrorReply {
  std::uint64_t request_id = 0;  // 0 when the request's id was unreadable
  std::string_view code;         // ErrorCodeName(), e.g. "UNKNOWN_FUNCTION"
  std::string_view message;
  std::uint64_t dropped = 0;     // REPLIES_DROPPED: how many; else 0 (absent)
};

struct Pong {
  std::uint64_t request_id = 0;
  std::string_view server;  // e.g. "tqd 0.1.0"
  std::uint32_t pid = 0;
  std::uint32_t workers = 0;  // configured pool size
  // 32 hex digits, new at every start of tqd: a client that sees it change
  // knows tqd restarted. "" from a tqd that predates it.
  std::string_view instance;
  std::int64_t started_at_ms = 0;  // Unix time of that start; 0 if unknown
};

struct FunctionInfo {
  std::string_view name;
  std::string_view origin;  // the plugin's path, or "" for a builtin
};

// The reply to `functions`: every function the workers offer, by name.
struct FunctionsReply {
  std::uint64_t request_id = 0;
  std::vector<FunctionInfo> functions;
};

struct WorkerInfo {
  std::uint32_t slot = 0;
  std::uint32_t pid = 0;
  std::string_view state;      // "starting", "idle", "busy", "stopping"
  std::uint64_t task_id = 0;   // while busy
  std::string_view fn;         // of that task
  std::uint64_t tasks_done = 0;
  std::uint64_t uptime_ms = 0;
  std::uint64_t rss_bytes = 0;  // read from /proc for the listing
  std::uint64_t task_ms = 0;    // how long its task has run; 0 without one
  std::string_view name;        // of that task, if it has one
  // Of its task, as in TaskStatus; -1 / 0 when idle or unknown.
  std::int64_t submitter_uid = -1;
  std::uint32_t submitter_pid = 0;
  // A worker of an agent (PROTOCOL.md §10): its host, and how long ago its
  // agent was last heard from. "" and 0 for tqd's own workers.
  std::string_view host;
  std::uint64_t beat_age_ms = 0;
};

struct WorkersReply {
  std::uint64_t request_id = 0;
  std::vector<WorkerInfo> workers;
};

struct RecentTask {
  std::uint64_t task_id = 0;
  std::string_view fn;
  TaskState state = TaskState::kDone;
  std::uint32_t attempts = 0;
  std::int64_t queued_at_ms = 0;
  std::int64_t finished_at_ms = 0;
};

// A distribution of durations (queue waits, run times), in microseconds.
struct DurationStats {
  std::uint64_t count = 0;
  std::uint64_t sum_us = 0;
  std::uint64_t p50_us = 0, p90_us = 0, p99_us = 0, max_us = 0;
  bool operator==(const DurationStats&) const = default;
};

// What happened over a span of time: since tqd started, or its last minute.
struct WindowStats {
  std::uint64_t span_ms = 0;     // the span's length
  std::uint64_t submitted = 0;   // tasks accepted (a duplicate key is not a task)
  EndedCounts ended;             // tasks that ended, by final state
  RestartCounts restarts{};      // workers that ended, by cause
  DurationStats queue_wait;      // ready to started, per attempt
  DurationStats run_time;        // started to its outcome, per attempt
};

// The tasks of one function since tqd started. fn "" (which names no
// function) counts together the functions beyond the first tqd tracks.
struct FunctionStats {
  std::string_view fn;
  std::uint64_t submitted = 0;
  EndedCounts ended;
};

// Worker processes by state (as worker_list shows them).
struct WorkerCounts {
  std::uint32_t starting = 0, idle = 0, busy = 0, stopping = 0;
};

// The workers of one host: tqd's own ("" on the wire as no entry: see
// StatsReply::hosts) or an agent's.
struct HostStats {
  std::string_view host;
  std::uint32_t workers = 0;
  std::uint32_t busy = 0;
  std::uint64_t tasks_done = 0;  // by its workers since they connected
};

struct StatsReply {
  std::uint64_t request_id = 0;
  std::uint64_t queued = 0;
  std::uint64_t running = 0;
  std::uint32_t workers = 0;  // live
  // since_start.ended is on the wire as queue_stats' done, failed, ...
  std::vector<RecentTask> recent;  // the last to end, newest first
  WorkerCounts worker_states;
  WindowStats since_start;  // span_ms: tqd's uptime
  WindowStats last_minute;  // span_ms: 60 to 70 s (less just after start)
  std::vector<FunctionStats> functions;  // by name
  // Durability: the tasks tqd holds (queued, running, or ended and kept for
  // their TTL), how many of them are durable, the store's file and its size,
  // and why the store last failed to commit ("" while it works).
  std::uint64_t tasks = 0;
  std::uint64_t durable_tasks = 0;
  std::string_view store_path;
  std::uint64_t store_bytes = 0;
  std::string_view store_error;
  // Workers by host, when tqd has agents: "local" first, then each agent
  // session's (PROTOCOL.md §10). Empty without agents.
  std::vector<HostStats> hosts;
};

// The reply to `metrics`: Prometheus' text exposition format (0.0.4), the
// page tqd's --metrics endpoint serves.
struct MetricsReply {
  std::uint64_t request_id = 0;
  std::string_view text;
};

// One task of a job that did not end done.
struct JobFailure {
  std::uint64_t task_id = 0;
  std::string_view key;
  TaskState state = TaskState::kFailed;
  std::string_view message;  // its error's message
};

// The reply to `job`: the named tasks by state.
struct JobReply {
  std::uint64_t request_id = 0;
  std::string_view name;
  std::uint64_t queued = 0, running = 0, done = 0, failed = 0;  // failed: any end but done
  std::vector<JobFailure> failures;  // at most kMaxJobFailures, lowest ids first
};
inline constexpr std::size_t kMaxJobFailures = 100;

// The answer to an object request or a pipe message: only the fields its
// op gives are set (PROTOCOL.md §3, "reply").
struct ObjectReply {
  std::uint64_t request_id = 0;
  std::optional<std::string_view> value;  // get, del, setdefault, incr, cas, queue get
  std::vector<std::string_view> keys;     // keys, items
  std::vector<std::string_view> values;   // items, slice, get_many
  std::optional<std::uint64_t> size;      // size, append, extend, update, put, value
  std::optional<bool> ok;  // cas swapped, setdefault set, del found, acquired, event set
  bool broken = false;     // acquire: its last holder ended holding it
  bool timed_out = false;  // a blocking call gave up waiting
  std::uint64_t cursor = 0;  // keys, items: more follow; ask again with it
};

using DaemonMessage =
    std::variant<Accepted, TaskResult, TaskStatus, ErrorReply, Pong,
                 TaskProgress, WorkersReply, StatsReply, FunctionsReply, MetricsReply,
                 JobReply, ObjectReply, PipeMessage>;

// ---- tq-worker <-> tqd (pipe frames) ---------------------------------------

// First frame a worker writes: it is up and offers these functions.
struct WorkerHello {
  std::uint32_t pid = 0;
  std::vector<std::string_view> functions;
  // Empty, or one per function: the path of the plugin that registered
  // it, "" for one built into the worker program.
  std::vector<std::string_view> origins;
  // It takes tasks sent ahead of its running one, and `drop` frames
  // (PROTOCOL.md §7, prefetch); tqd sends neither to a worker without it.
  bool prefetch = false;
};

// tqd -> worker: run this.
struct TaskAssignment {
  std::uint64_t task_id = 0;
  std::string_view fn;
  std::string_view args;
  bool chunk = false;  // as SubmitRequest::chunk
  bool pipe = false;   // the task has a pipe: pipe frames may follow
};

// tqd -> worker: do not run `task_id` if it has not started (PROTOCOL.md
// §7, prefetch). The worker answers TaskDropped, or runs it if it had
// started already.
struct TaskDrop {
  std::uint64_t task_id = 0;
};

// What tqd sends a worker: a task, a message on the running task's pipe,
// or a drop of a task sent ahead.
using ToWorkerMessage = std::variant<TaskAssignment, PipeMessage, TaskDrop>;

// worker -> tqd: how it went. state is kDone or kFailed.
struct WorkerResult {
  std::uint64_t task_id = 0;
  TaskState state = TaskState::kDone;
  std::string_view value;
  ErrorInfo error;
  // How long the function ran, as the worker measured it; 0: not said.
  std::uint64_t run_ns = 0;
};

// worker -> tqd: the answer to a TaskDrop of a task it had not started;
// it never runs it.
struct TaskDropped {
  std::uint64_t task_id = 0;
};

using WorkerMessage =
    std::variant<WorkerHello, WorkerResult, TaskProgress, PipeMessage, TaskDropped>;


// ---- agent <-> tqd (PROTOCOL.md §10) ---------------------------------------
//
// A worker agent (tq-agent, `tq-worker --connect`) runs worker processes on
// another host for tqd. tqd drives each of them exactly as it drives a local
// worker through its pipes; the agent only relays: what tqd would write to
// the worker's fd 3 travels as ChannelInput, what the worker writes to its
// fd 4 comes back as ChannelOutput, and the agent starts, signals, reaps and
// inspects the processes when told. A "channel" is one worker process, named
// by tqd when it asks for it (ChannelSpawn) and never reused in a session.
//
// Every message carries its session, a random nonzero 64-bit number the
// agent draws each time it says hello, and its place in that session's
// messages in its direction: seq 1, 2, 3... A receiver that sees a gap
// knows something was lost and ends the session; a message of any other
// session is dropped. So a replayed or stale message can never be taken
// for a live one, and a task never has two results.

// Fields every agent message has.
struct AgentHeader {
  std::uint64_t session = 0;  // nonzero
  std::uint64_t seq = 0;      // 1 for the first message of a session, each way
};

// agent -> tqd: the first message of a session. tqd answers AgentWelcome,
// or SessionEnd.
struct AgentHello {
  AgentHeader h;
  std::string_view host;     // the agent's host name, 1 to 255 bytes
  std::uint32_t slots = 0;   // worker processes it runs at most, >= 1
  std::string_view version;  // tq's version, for the log
};

// agent -> tqd: it is alive (sent every beat interval, PROTOCOL.md §10).
struct AgentBeat {
  AgentHeader h;
  // The highest seq it has received from tqd in this session.
  std::uint64_t ack = 0;
};

// agent -> tqd: the worker of `channel` was started, as `pid` on its host.
struct ChannelSpawned {
  AgentHeader h;
  std::uint64_t channel = 0;
  std::uint32_t pid = 0;
};

// agent -> tqd: bytes the channel's worker wrote to its fd 4, in order.
struct ChannelOutput {
  AgentHeader h;
  std::uint64_t channel = 0;
  std::string_view data;  // 1 byte or more; the whole message within Limits::max_message_bytes
};

// agent -> tqd: the channel's worker was reaped, or could not be started
// (`error` set, neither code nor signal). Nothing more comes of it.
struct ChannelExited {
  AgentHeader h;
  std::uint64_t channel = 0;
  std::optional<std::int32_t> code;    // it exited with this status
  std::optional<std::int32_t> signal;  // it was killed by this signal
  std::string_view error;              // why it could not be started
};

// agent -> tqd: the RSS of the channel's worker, sampled with each beat.
struct ChannelRss {
  AgentHeader h;
  std::uint64_t channel = 0;
  std::uint64_t bytes = 0;
};

// agent -> tqd: where the channel's worker was, as asked by ChannelCapture
// ("" if it could not be told).
struct ChannelStack {
  AgentHeader h;
  std::uint64_t channel = 0;
  std::string_view text;  // at most 64 KiB
};

// agent -> tqd: it is leaving (SIGTERM, scancel). With `requeue`, tqd ends
// the session now and its running tasks go back to the queue; without, it
// sends no more tasks, lets the running ones finish, retires the workers
// and then ends the session.
struct AgentBye {
  AgentHeader h;
  bool requeue = false;
};

using AgentMessage = std::variant<AgentHello, AgentBeat, ChannelSpawned, ChannelOutput,
                                  ChannelExited, ChannelRss, ChannelStack, AgentBye>;

// tqd -> agent: the session is open. The agent beats every `beat_ms`; each
// side gives up on the other after `deadline_ms` without a message.
struct AgentWelcome {
  AgentHeader h;
  std::uint32_t beat_ms = 0;
  std::uint32_t deadline_ms = 0;
};

// tqd -> agent: tqd is alive.
struct DaemonBeat {
  AgentHeader h;
  // The highest seq it has received from the agent in this session.
  std::uint64_t ack = 0;
};

// tqd -> agent: start a worker for `channel`.
struct ChannelSpawn {
  AgentHeader h;
  std::uint64_t channel = 0;
};

// tqd -> agent: bytes for the channel's worker's fd 3, in order.
struct ChannelInput {
  AgentHeader h;
  std::uint64_t channel = 0;
  std::string_view data;  // 1 byte or more; the whole message within Limits::max_message_bytes
};

// tqd -> agent: close the channel worker's fd 3 (it exits on EOF between
// tasks).
struct ChannelCloseInput {
  AgentHeader h;
  std::uint64_t channel = 0;
};

// tqd -> agent: send `signal` to the channel's worker.
struct ChannelSignal {
  AgentHeader h;
  std::uint64_t channel = 0;
  std::int32_t signal = 0;
};

// tqd -> agent: tell where the channel's worker is (its stack tool); answer
// ChannelStack within `timeout_ms`.
struct ChannelCapture {
  AgentHeader h;
  std::uint64_t channel = 0;
  std::uint32_t timeout_ms = 0;
};

// tqd -> agent: the session is over (or was never known): the agent stops
// its workers and says hello anew. seq is 0 when tqd does not know the
// session.
struct SessionEnd {
  AgentHeader h;
  std::string_view why;
};

using ToAgentMessage =
    std::variant<AgentWelcome, DaemonBeat, ChannelSpawn, ChannelInput, ChannelCloseInput,
                 ChannelSignal, ChannelCapture, SessionEnd>;

}  // namespace tq::proto
