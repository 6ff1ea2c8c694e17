// RawClient: the I/O thread that alone owns the DEALER socket.
//
// Callers encode their request on their own thread and queue it under a
// mutex, waking the I/O thread through an eventfd only when the queue was
// empty. The I/O thread sends (never blocking: with ZMQ_IMMEDIATE a request
// waits in `unsent_` until a connection exists), receives and completes
// calls, and watches connection events through a socket monitor so that
// calls fail instead of hanging when tqd is unreachable or goes away.
#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <variant>
#include <zmq.hpp>

#include "call_state.h"
#include "in_flight_limit.h"
#include "tq/proto/codec.h"
#include "tq/proto/endpoint.h"
#include "wire_state.h"

namespace tq {
namespace {

using Clock = std::chrono::steady_clock;

static_assert(static_cast<int>(ObjectType::kEvent) == static_cast<int>(proto::ObjectType::kEvent) &&
                  static_cast<int>(ObjectType::kDict) == static_cast<int>(proto::ObjectType::kDict),
              "tq::ObjectType mirrors proto::ObjectType");
using detail::CallState;
using detail::FromWire;

constexpr auto kTimeoutCheck = std::chrono::milliseconds(50);
// How long a request waits for a missing ipc:// socket file to appear
// before failing with "no tqd at PATH" (connect_timeout if shorter): long
// enough for a tqd started a moment ago (`tqd & tq call ...`) to bind,
// short enough that forgetting to start tqd is told at once.
constexpr auto kNoSocketGrace = std::chrono::milliseconds(1000);

// The eventfd that wakes the I/O thread. EAGAIN is expected either way: a
// write finds the counter full (a wake-up is pending anyway), a read finds
// it 0. Any other error (EBADF) is a bug of ours, and a client that cannot
// wake its I/O thread would hang: abort instead.
void CheckEventFd(ssize_t result, const char* op) {
  if (result < 0 && errno != EAGAIN) {
    std::fprintf(stderr, "tq: %s on the client's eventfd: %s\n", op, std::strerror(errno));
    std::abort();
  }
}
void WakeEventFd(int fd) {
  const std::uint64_t one = 1;
  CheckEventFd(::write(fd, &one, sizeof one), "write");
}
void DrainEventFd(int fd) {
  std::uint64_t n;
  CheckEventFd(::read(fd, &n, sizeof n), "read");
}

Outcome Failure(Outcome::Kind kind, std::string message) {
  Outcome o;
  o.kind = kind;
  o.message = std::move(message);
  return o;
}

ErrorDetails Details(const proto::ErrorInfo& e) {
  ErrorDetails d;
  d.cause.assign(e.cause);
  d.pid = e.pid;
  d.exit_code = e.exit_code;
  d.signal = e.signal;
  d.rss_bytes = e.rss_bytes;
  d.timeout_ms = e.timeout_ms;
  d.stack.assign(e.stack);
  return d;
}

StateCounts Ended(const proto::EndedCounts& e) {
  using proto::TaskState;
  return {e[TaskState::kDone],      e[TaskState::kFailed], e[TaskState::kTimedOut],
          e[TaskState::kCancelled], e[TaskState::kLost],   e[TaskState::kBuried]};
}

DurationStats Durations(const proto::DurationStats& d) {
  using us = std::chrono::microseconds;
  return {d.count,          us(d.sum_us), us(d.p50_us), us(d.p90_us), us(d.p99_us),
          us(d.max_us)};
}

WindowStats Window(const proto::WindowStats& w) {
  WindowStats out;
  out.span = std::chrono::milliseconds(w.span_ms);
  out.submitted = w.submitted;
  out.ended = Ended(w.ended);
  const auto restarts = [&](proto::RestartCause c) {
    return w.restarts[static_cast<std::size_t>(c)];
  };
  out.restarts = {restarts(proto::RestartCause::kExit),     restarts(proto::RestartCause::kSignal),
                  restarts(proto::RestartCause::kOom),      restarts(proto::RestartCause::kProtocol),
                  restarts(proto::RestartCause::kRecycled), restarts(proto::RestartCause::kStopped)};
  out.queue_wait = Durations(w.queue_wait);
  out.run_time = Durations(w.run_time);
  return out;
}

QueueStats ToQueueStats(const proto::StatsReply& m) {
  QueueStats st;
  st.queued = m.queued;
  st.running = m.running;
  st.workers = m.workers;
  st.starting = m.worker_states.starting;
  st.idle = m.worker_states.idle;
  st.busy = m.worker_states.busy;
  st.stopping = m.worker_states.stopping;
  for (const proto::RecentTask& t : m.recent) {
    TaskInfo info;
    info.task_id = t.task_id;
    info.fn.assign(t.fn);
    info.state = FromWire(t.state);
    info.attempts = t.attempts;
    info.queued_at_ms = t.queued_at_ms;
    info.finished_at_ms = t.finished_at_ms;
    st.recent.push_back(std::move(info));
  }
  st.since_start = Window(m.since_start);
  st.last_minute = Window(m.last_minute);
  for (const proto::FunctionStats& f : m.functions) {
    st.functions.push_back({std::string(f.fn), f.submitted, Ended(f.ended)});
  }
  st.tasks = m.tasks;
  st.durable_tasks = m.durable_tasks;
  st.store_path.assign(m.store_path);
  st.store_bytes = m.store_bytes;
  st.store_error.assign(m.store_error);
  for (const proto::HostStats& h : m.hosts) {
    st.hosts.push_back({std::string(h.host), h.workers, h.busy, h.tasks_done});
  }
  return st;
}

// Codes that mean "this library sent something wrong" rather than "tqd
// would not take it".
bool IsProtocolCode(std::string_view code) {
  return code == "MALFORMED" || code == "BAD_VERSION" ||
         code == "UNKNOWN_KIND" || code == "MISSING_FIELD" ||
         code == "WRONG_TYPE" || code == "UNKNOWN_FIELD" || code == "INTERNAL" ||
         code == "NOT_BATCHABLE";
}

// An ack-less submit's frame made an acknowledged one, for a tqd that does
// not know `ack`. The frame is one of ours, so it decodes.
std::string Acknowledged(std::string_view frame) {
  proto::Decoder decoder;
  auto decoded = decoder.DecodeClient(frame);
  proto::SubmitRequest m = std::get<proto::SubmitRequest>(decoded.value());
  m.ack = true;
  proto::Buffer out;
  proto::Encode(m, out);
  return out.Take();
}

}  // namespace

class RawClient::Impl final : public detail::CallOwner,
                              public std::enable_shared_from_this<RawClient::Impl> {
 public:
  explicit Impl(ClientOptions options);
  ~Impl() override;

  RawResult Submit(std::string_view fn, std::string_view args,
                   const SubmitOptions& options,
                   const std::shared_ptr<detail::CompletionQueue>& queue,
                   std::size_t tag, detail::ArgsShape shape);
  std::shared_ptr<CallState> StartTaskRequest(proto::TaskVerb verb,
                                              std::uint64_t task_id);
  RawResult SendTaskRequest(proto::TaskVerb verb, std::uint64_t task_id);
  TaskInfo AskTask(proto::TaskVerb verb, std::uint64_t task_id);
  // Sends a listing request and waits for its answer; throws on failure.
  std::shared_ptr<CallState> AskList(proto::Listing what);
  ServerInfo Ping();
  JobStatus AskJob(const std::string& name);
  RawResult Object(const ObjectCall& c);
  RawResult Pipe(std::uint64_t task_id, std::string data, bool close);
  void CancelCall(const std::shared_ptr<CallState>& call) override;
  void ForgetCall(const std::shared_ptr<CallState>& call) override;
  const std::string& endpoint() const { return options_.endpoint; }

 private:
  struct Outgoing {
    std::uint64_t request_id;
    std::string frame;
    std::shared_ptr<CallState> call;
    Clock::time_point queued_at;
    // A ping waits the whole connect_timeout for a socket to appear: it is
    // how a script waits for the tqd it just started.
    bool waits_for_socket = false;
    // An unwait: the request it stops, dropped from in_flight_ once sent.
    std::uint64_t forgets = 0;
    // Submit, cancel, unwait: may go out in a batch (PROTOCOL.md §1).
    bool batchable = false;
    // A submit with `ack` false (SubmitOptions::ack).
    bool ack_less = false;
  };

  std::shared_ptr<CallState> NewCall(
      const std::shared_ptr<detail::CompletionQueue>& queue, std::size_t tag);
  void Enqueue(Outgoing out);
  // Tells tqd to stop sending request `waiting` of `task_id` anything.
  void SendUnwait(std::uint64_t task_id, std::uint64_t waiting);

  // ---- I/O thread only
  void IoLoop();
  void TakeQueued();
  void SendUnsent(zmq::socket_t& dealer);
  // How many requests at the front of unsent_ go out as one message: a
  // run of batchable ones, within the batch limits; at least 1.
  std::size_t NextBatch() const;
  void Receive(zmq::socket_t& dealer);
  void Dispatch(const proto::DaemonMessage& m);
  void OnMonitorEvent(zmq::socket_t& monitor);
  // An error with req 0: about the connection, not one request.
  void OnConnectionError(const proto::ErrorReply& e);
  void ExpireUnsent();
  // With an ipc:// endpoint whose socket file is not there, or that we may
  // not connect to, nothing will answer: fails the unsent requests now
  // rather than at connect_timeout.
  void FailUnsentIfNoSocket();
  void FailAll(const std::string& why);
  // An answer to an ack-less submit sent while ack_less_ is unknown
  // (PROTOCOL.md §9: probe with the request itself). Returns true when it
  // was an older tqd's UNKNOWN_FIELD, and the submit is now queued again,
  // acknowledged: that answer ends nothing.
  bool ProbeAnswered(const proto::DaemonMessage& m);
  // Puts a ping at the front of unsent_: sent behind a connection's first
  // ack-less submit, its pong, which tqd sends after any error of that
  // submit, shows that tqd took `ack` (PROTOCOL.md §1, "Asynchrony").
  void QueueProbe();

  ClientOptions options_;
  std::string socket_path_;  // of an ipc:// endpoint; "" for tcp://
  std::shared_ptr<detail::InFlightLimit> limit_;  // null: no max_in_flight
  std::shared_ptr<detail::CallbackRunner> runner_;
  zmq::context_t context_;
  int wake_fd_ = -1;  // eventfd: queue_ became non-empty, or stopping_
  std::atomic<std::uint64_t> next_request_id_{1};

  std::mutex mu_;
  std::deque<Outgoing> queue_;  // guarded by mu_
  bool stopping_ = false;       // guarded by mu_

  // Owned by the I/O thread once it runs.
  zmq::socket_t dealer_;
  zmq::socket_t monitor_;  // connection events of dealer_
  std::deque<Outgoing> unsent_;
  std::unordered_map<std::uint64_t, std::shared_ptr<CallState>> in_flight_;
  bool connected_ = false;
  proto::Decoder decoder_;
  // Whether tqd on this connection takes `ack` false: unknown until the
  // probe's pong or an ack-less submit's result comes (yes), or its
  // UNKNOWN_FIELD (a tqd from before them: no, and every ack-less submit
  // goes acknowledged).
  enum class AckLess { kUnknown, kHonoured, kRefused } ack_less_ = AckLess::kUnknown;
  std::uint64_t probe_ping_ = 0;  // the probe's request id; 0: none sent
  std::uint64_t probe_witness_ = 0;  // the ack-less submit it was sent behind
  // While unknown, the frames of the ack-less submits in flight, by
  // request id, to send again acknowledged if refused: about a round
  // trip's worth, cleared once known.
  std::unordered_map<std::uint64_t, std::string> probing_;
  std::size_t resent_ = 0;  // refused submits put back in unsent_ this turn

  std::thread io_;  // last: starts after everything above exists
};

RawClient::Impl::Impl(ClientOptions options)
    : options_(std::move(options)),
      runner_(std::make_shared<detail::CallbackRunner>(options_.on_callback_error)),
      context_(1),
      dealer_(context_, zmq::socket_type::dealer),
      monitor_(context_, zmq::socket_type::pair) {
  if (options_.endpoint.empty()) options_.endpoint = proto::DefaultClientEndpoint();
  socket_path_ = std::string(proto::IpcPath(options_.endpoint));
  if (options_.max_in_flight > 0) {
    limit_ = std::make_shared<detail::InFlightLimit>(options_.max_in_flight);
  }
  try {
    dealer_.set(zmq::sockopt::linger, 0);
    // Queue nothing on a connection that is not up: requests wait in
    // unsent_, where connect_timeout can fail them.
    dealer_.set(zmq::sockopt::immediate, 1);
    dealer_.set(zmq::sockopt::sndhwm, 0);
    dealer_.set(zmq::sockopt::rcvhwm, 0);
    // Detects a tqd that is stopped, or whose host vanished without
    // closing the connection: the calls in flight then fail.
    if (options_.heartbeat_interval.count() > 0) {
      dealer_.set(zmq::sockopt::heartbeat_ivl,
                  static_cast<int>(options_.heartbeat_interval.count()));
      dealer_.set(zmq::sockopt::heartbeat_timeout,
                  static_cast<int>(options_.heartbeat_timeout.count()));
    }
    const std::string monitor_endpoint =
        "inproc://tq-monitor-" +
        std::to_string(reinterpret_cast<std::uintptr_t>(this));
    if (zmq_socket_monitor(dealer_.handle(), monitor_endpoint.c_str(),
                           ZMQ_EVENT_CONNECTED | ZMQ_EVENT_DISCONNECTED) != 0) {
      throw zmq::error_t();
    }
    monitor_.connect(monitor_endpoint);
    dealer_.connect(options_.endpoint);
  } catch (const zmq::error_t& e) {
    throw ConnectionError("cannot use endpoint '" + options_.endpoint +
                          "': " + e.what());
  }
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) {
    throw ConnectionError(std::string("eventfd: ") + std::strerror(errno));
  }
  // The sockets belong to the I/O thread from here on.
  io_ = std::thread([this] { IoLoop(); });
}

RawClient::Impl::~Impl() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  WakeEventFd(wake_fd_);
  io_.join();
  ::close(wake_fd_);
  // runner_ goes next: it runs the callbacks FailAll queued, then joins.
}

std::shared_ptr<CallState> RawClient::Impl::NewCall(
    const std::shared_ptr<detail::CompletionQueue>& queue, std::size_t tag) {
  auto call = std::make_shared<CallState>();
  call->queue = queue;
  call->tag = tag;
  call->runner = runner_;
  call->owner = weak_from_this();
  return call;
}

void RawClient::Impl::Enqueue(Outgoing out) {
  bool wake = false;
  {
    std::lock_guard lock(mu_);
    if (stopping_) {
      out.call->Complete(Failure(Outcome::Kind::kConnection, "client closed"));
      return;
    }
    wake = queue_.empty();
    {
      std::lock_guard call_lock(out.call->mu);
      out.call->request_id = out.request_id;
    }
    queue_.push_back(std::move(out));
  }
  if (wake) WakeEventFd(wake_fd_);
}

RawResult RawClient::Impl::Submit(
    std::string_view fn, std::string_view args, const SubmitOptions& options,
    const std::shared_ptr<detail::CompletionQueue>& queue, std::size_t tag,
    detail::ArgsShape shape) {
  auto call = NewCall(queue, tag);
  if (limit_) {
    limit_->Acquire();  // given back by call->Complete, however it ends
    call->slot = limit_;
  }
  const proto::Limits limits;
  if (args.size() > limits.max_args_bytes) {
    Outcome o = Failure(Outcome::Kind::kRejected,
                        "args are " + std::to_string(args.size()) +
                            " bytes; the limit is " +
                            std::to_string(limits.max_args_bytes));
    o.error_type = "TOO_LARGE";
    call->Complete(std::move(o));
    return RawResult(call);
  }
  const std::uint64_t id = next_request_id_++;
  proto::SubmitRequest m;
  m.request_id = id;
  m.fn = fn;
  m.args = args;
  m.priority = options.priority;
  m.timeout_ms = static_cast<std::uint64_t>(options.timeout.count());
  m.delay_ms = static_cast<std::uint64_t>(options.delay.count());
  m.max_retries = options.max_retries;
  for (TaskState s : options.retry_on) {
    if (s == TaskState::kFailed) m.retry_on |= proto::kRetryFailed;
    if (s == TaskState::kLost) m.retry_on |= proto::kRetryLost;
    if (s == TaskState::kTimedOut) m.retry_on |= proto::kRetryTimedOut;
  }
  m.retry_backoff_ms = static_cast<std::uint64_t>(options.retry_backoff.count());
  m.key = options.key;
  m.chunk = shape == detail::ArgsShape::kChunk;
  m.durable = options.durable;
  m.name = options.name;
  m.rerun_failed = options.rerun_failed;
  m.daemon = options.daemon;
  m.pipe = options.pipe;
  // A pipe and a group's cancel need the id before the result.
  m.ack = options.ack || options.pipe || options.group;
  call->ack_less = !m.ack;
  proto::Buffer frame;
  proto::Encode(m, frame);
  Outgoing out{id, frame.Take(), call, Clock::now()};
  out.batchable = true;
  out.ack_less = !m.ack;
  Enqueue(std::move(out));
  RawResult result(call);
  if (options.group) options.group->Add(result);
  return result;
}

RawResult RawClient::Impl::Object(const ObjectCall& c) {
  auto call = NewCall(nullptr, 0);
  proto::ObjectRequest m;
  m.type = static_cast<proto::ObjectType>(c.type);
  const std::optional<proto::ObjectOp> op = proto::ParseObjectOp(m.type, c.op);
  if (!op) {
    call->Complete(Failure(Outcome::Kind::kProtocol,
                           "a " + std::string(proto::ObjectTypeName(m.type)) + " has no op '" +
                               c.op + "'"));
    return RawResult(call);
  }
  const std::uint64_t id = next_request_id_++;
  m.request_id = id;
  m.op = *op;
  m.name = c.name;
  m.key = c.key;
  m.value = c.value;
  if (c.expect) m.expect = *c.expect;
  m.keys.assign(c.keys.begin(), c.keys.end());
  m.values.assign(c.values.begin(), c.values.end());
  m.index = c.index;
  m.stop = c.stop;
  m.by = c.by;
  if (c.timeout) m.timeout_ms = static_cast<std::uint64_t>(std::max<std::int64_t>(c.timeout->count(), 0));
  m.count = c.count;
  m.capacity = c.capacity;
  m.initial = c.initial;
  m.cursor = c.cursor;
  if (options_.calling_task) m.task_id = options_.calling_task();
  proto::Buffer frame;
  proto::Encode(m, frame);
  Enqueue({id, frame.Take(), call, Clock::now()});
  return RawResult(call);
}

RawResult RawClient::Impl::Pipe(std::uint64_t task_id, std::string data, bool close) {
  auto call = NewCall(nullptr, 0);
  const std::uint64_t id = next_request_id_++;
  proto::Buffer frame;
  proto::Encode(proto::PipeMessage{id, task_id, data, close}, frame);
  Enqueue({id, frame.Take(), call, Clock::now()});
  return RawResult(call);
}

std::shared_ptr<CallState> RawClient::Impl::StartTaskRequest(
    proto::TaskVerb verb, std::uint64_t task_id) {
  auto call = NewCall(nullptr, 0);
  const std::uint64_t id = next_request_id_++;
  proto::Buffer frame;
  proto::Encode(proto::TaskRequest{id, verb, task_id}, frame);
  Outgoing out{id, frame.Take(), call, Clock::now()};
  out.batchable = verb == proto::TaskVerb::kCancel;
  Enqueue(std::move(out));
  return call;
}

RawResult RawClient::Impl::SendTaskRequest(proto::TaskVerb verb,
                                           std::uint64_t task_id) {
  return RawResult(StartTaskRequest(verb, task_id));
}

std::shared_ptr<CallState> RawClient::Impl::AskList(proto::Listing what) {
  auto call = NewCall(nullptr, 0);
  const std::uint64_t id = next_request_id_++;
  proto::Buffer frame;
  proto::Encode(proto::ListRequest{id, what}, frame);
  Enqueue({id, frame.Take(), call, Clock::now()});
  RawResult(call).outcome().ThrowIfError();
  return call;
}

TaskInfo RawClient::Impl::AskTask(proto::TaskVerb verb, std::uint64_t task_id) {
  std::shared_ptr<CallState> call = StartTaskRequest(verb, task_id);
  RawResult(call).outcome().ThrowIfError();
  std::lock_guard lock(call->mu);
  return call->AnswersOrNone().status;
}

void RawClient::Impl::CancelCall(const std::shared_ptr<CallState>& call) {
  std::uint64_t task_id = 0;
  {
    std::lock_guard lock(call->mu);
    if (call->done) return;
    task_id = call->task_id;
    // Not accepted yet: the I/O thread cancels it when ACCEPTED arrives.
    if (task_id == 0) call->cancel_requested = true;
  }
  if (task_id != 0) (void)SendTaskRequest(proto::TaskVerb::kCancel, task_id);
}

void RawClient::Impl::ForgetCall(const std::shared_ptr<CallState>& call) {
  std::uint64_t task_id = 0, request_id = 0;
  {
    std::lock_guard lock(call->mu);
    if (call->done) return;
    task_id = call->task_id;
    request_id = call->request_id;
    // Not accepted yet: the I/O thread sends the unwait when ACCEPTED comes.
    if (task_id == 0) call->forget_requested = true;
  }
  if (task_id != 0) SendUnwait(task_id, request_id);
  call->Complete(Failure(Outcome::Kind::kForgotten,
                         task_id != 0 ? "stopped waiting for task " + std::to_string(task_id) +
                                            "; it runs on (wait for it by id)"
                                      : "stopped waiting; the task, if tqd accepts it, runs on"));
}

void RawClient::Impl::SendUnwait(std::uint64_t task_id, std::uint64_t waiting) {
  auto call = NewCall(nullptr, 0);
  const std::uint64_t id = next_request_id_++;
  proto::Buffer frame;
  proto::Encode(proto::UnwaitRequest{id, task_id, waiting}, frame);
  Outgoing out{id, frame.Take(), call, Clock::now()};
  out.forgets = waiting;
  out.batchable = true;
  Enqueue(std::move(out));
}

JobStatus RawClient::Impl::AskJob(const std::string& name) {
  auto call = NewCall(nullptr, 0);
  const std::uint64_t id = next_request_id_++;
  proto::Buffer frame;
  proto::Encode(proto::JobRequest{id, name}, frame);
  Enqueue({id, frame.Take(), call, Clock::now()});
  RawResult(call).outcome().ThrowIfError();
  std::lock_guard lock(call->mu);
  return call->AnswersOrNone().job;
}

ServerInfo RawClient::Impl::Ping() {
  auto call = NewCall(nullptr, 0);
  const std::uint64_t id = next_request_id_++;
  proto::Buffer frame;
  proto::Encode(proto::PingRequest{id}, frame);
  Enqueue({id, frame.Take(), call, Clock::now(), /*waits_for_socket=*/true});
  RawResult result(call);
  // Once delivered, tqd answers at once; connect_timeout bounds the rest.
  if (!result.wait_for(options_.connect_timeout + std::chrono::seconds(5))) {
    throw ConnectionError("tqd at " + options_.endpoint + " did not answer");
  }
  result.outcome().ThrowIfError();
  return call->AnswersOrNone().server;
}

// ---- I/O thread ------------------------------------------------------------

void RawClient::Impl::IoLoop() {
  zmq::socket_t& dealer = dealer_;
  zmq::socket_t& monitor = monitor_;
  for (;;) {
    const bool want_send = connected_ && !unsent_.empty();
    zmq::pollitem_t items[] = {
        {dealer.handle(), 0,
         static_cast<short>(ZMQ_POLLIN | (want_send ? ZMQ_POLLOUT : 0)), 0},
        {nullptr, wake_fd_, ZMQ_POLLIN, 0},
        {monitor.handle(), 0, ZMQ_POLLIN, 0},
    };
    const auto timeout = unsent_.empty() ? std::chrono::milliseconds(-1)
                                         : std::chrono::milliseconds(kTimeoutCheck);
    try {
      zmq::poll(items, 3, timeout);
    } catch (const zmq::error_t&) {
      continue;  // EINTR
    }
    if (items[1].revents & ZMQ_POLLIN) {
      DrainEventFd(wake_fd_);
      bool stop;
      {
        std::lock_guard lock(mu_);
        stop = stopping_;
      }
      TakeQueued();
      if (stop) break;
    }
    // Replies first: a disconnect reported with them must not fail the
    // calls they answer.
    if (items[0].revents & ZMQ_POLLIN) Receive(dealer);
    if (items[2].revents & ZMQ_POLLIN) OnMonitorEvent(monitor);
    if (!unsent_.empty()) {
      // Only on a connection that is up. Right after a disconnect the
      // socket may not have dropped the dead connection's pipe yet (ZeroMQ
      // processes that command lazily), and a request sent then would
      // vanish with it, its DISCONNECTED already reported.
      if (connected_) SendUnsent(dealer);
      FailUnsentIfNoSocket();
      ExpireUnsent();
    }
  }
  FailAll("client closed");
  zmq_socket_monitor(dealer.handle(), nullptr, 0);
  monitor.close();
  dealer.close();
}

void RawClient::Impl::TakeQueued() {
  std::deque<Outgoing> taken;
  {
    std::lock_guard lock(mu_);
    taken.swap(queue_);
  }
  for (Outgoing& o : taken) unsent_.push_back(std::move(o));
}

std::size_t RawClient::Impl::NextBatch() const {
  if (!unsent_.front().batchable) return 1;
  const std::size_t max_bytes = proto::Limits{}.max_message_bytes;
  std::size_t n = 1, bytes = unsent_.front().frame.size();
  while (n < unsent_.size() && n < proto::kMaxBatchRequests && unsent_[n].batchable &&
         bytes + unsent_[n].frame.size() <= max_bytes) {
    bytes += unsent_[n].frame.size();
    ++n;
  }
  return n;
}

void RawClient::Impl::SendUnsent(zmq::socket_t& dealer) {
  // Whatever is queued goes out now, never held back for more to come: a
  // lone request as a message of its own, a run of submits (cancels,
  // unwaits) as one batch, a frame each.
  if (ack_less_ == AckLess::kRefused) {
    for (Outgoing& o : unsent_) {
      if (!o.ack_less) continue;
      o.frame = Acknowledged(o.frame);
      o.ack_less = false;
    }
  }
  while (!unsent_.empty()) {
    const std::size_t n = NextBatch();
    try {
      for (std::size_t i = 0; i < n; ++i) {
        const auto flags = i + 1 < n ? zmq::send_flags::dontwait | zmq::send_flags::sndmore
                                     : zmq::send_flags::dontwait;
        // Only the first frame can find no connection up (ZMQ_IMMEDIATE);
        // with no high-water mark the rest of the message then follows.
        if (!dealer.send(zmq::buffer(unsent_[i].frame), flags)) return;
      }
    } catch (const zmq::error_t& e) {
      for (std::size_t i = 0; i < n; ++i) {
        unsent_.front().call->Complete(
            Failure(Outcome::Kind::kConnection, std::string("send: ") + e.what()));
        unsent_.pop_front();
      }
      continue;
    }
    bool probe = false;
    for (std::size_t i = 0; i < n; ++i) {
      Outgoing& o = unsent_.front();
      if (o.ack_less && ack_less_ == AckLess::kUnknown) {
        if (probe_ping_ == 0 && !probe) {
          probe = true;
          probe_witness_ = o.request_id;
        }
        probing_.emplace(o.request_id, std::move(o.frame));
      }
      in_flight_.emplace(o.request_id, std::move(o.call));
      if (o.forgets != 0) in_flight_.erase(o.forgets);
      unsent_.pop_front();
    }
    if (probe) QueueProbe();
  }
}

void RawClient::Impl::QueueProbe() {
  probe_ping_ = next_request_id_++;
  proto::Buffer frame;
  proto::Encode(proto::PingRequest{probe_ping_}, frame);
  unsent_.push_front({probe_ping_, frame.Take(), NewCall(nullptr, 0), Clock::now()});
}

void RawClient::Impl::ExpireUnsent() {
  const auto now = Clock::now();
  while (!unsent_.empty() &&
         now - unsent_.front().queued_at >= options_.connect_timeout) {
    const auto ms = options_.connect_timeout.count();
    unsent_.front().call->Complete(Failure(
        Outcome::Kind::kConnection,
        "cannot reach tqd at " + options_.endpoint + " (no connection within " +
            std::to_string(ms) + " ms; is tqd running?)"));
    unsent_.pop_front();
  }
}

void RawClient::Impl::FailUnsentIfNoSocket() {
  if (connected_ || socket_path_.empty() || unsent_.empty()) return;
  // A socket file we may not open (tqd admits its own user and group only:
  // the file is 0660, its directory 0750) fails like a missing one, and
  // even requests that wait for tqd to appear: waiting does not change it.
  struct stat st;
  const bool found = ::stat(socket_path_.c_str(), &st) == 0;
  const bool denied =
      found ? ::faccessat(AT_FDCWD, socket_path_.c_str(), W_OK, AT_EACCESS) != 0 &&
                  errno == EACCES
            : errno == EACCES;
  if (found && !denied) return;
  const std::string why =
      denied ? "cannot reach tqd at " + socket_path_ +
                   ": permission denied (only tqd's user and the members of its group may "
                   "connect)"
             : "no tqd at " + socket_path_ + " (is tqd running?)";
  const auto now = Clock::now();
  const auto grace = std::min<Clock::duration>(kNoSocketGrace, options_.connect_timeout);
  std::deque<Outgoing> waiting;
  for (Outgoing& o : unsent_) {
    if ((o.waits_for_socket && !denied) || now - o.queued_at < grace) {
      waiting.push_back(std::move(o));
      continue;
    }
    o.call->Complete(Failure(Outcome::Kind::kConnection, why));
  }
  unsent_.swap(waiting);
}

void RawClient::Impl::Receive(zmq::socket_t& dealer) {
  resent_ = 0;
  zmq::message_t msg;
  for (;;) {
    try {
      if (!dealer.recv(msg, zmq::recv_flags::dontwait)) return;
    } catch (const zmq::error_t&) {
      return;
    }
    // Every frame is a reply of its own: tqd sends one, or a batch of them
    // (PROTOCOL.md §1) to a client that batches.
    auto decoded = decoder_.DecodeDaemon(msg.to_string_view());
    if (!decoded.ok()) {
      auto it = in_flight_.find(decoder_.last_request_id());
      if (it != in_flight_.end()) {
        it->second->Complete(Failure(Outcome::Kind::kProtocol,
                                     "bad reply from tqd: " +
                                         decoded.status().ToString()));
        in_flight_.erase(it);
      }
      continue;
    }
    Dispatch(*decoded);
  }
}

bool RawClient::Impl::ProbeAnswered(const proto::DaemonMessage& m) {
  // What the answer shows: tqd took `ack` (a result or progress, which
  // only an ACCEPTED-less task gets), did not know it, or neither.
  enum class Shows { kNothing, kTaken, kUnknown };
  const auto [request_id, shows] = std::visit(
      [](const auto& msg) {
        using M = std::decay_t<decltype(msg)>;
        Shows what = Shows::kNothing;
        if constexpr (std::is_same_v<M, proto::TaskResult> ||
                      std::is_same_v<M, proto::TaskProgress>) {
          what = Shows::kTaken;
        } else if constexpr (std::is_same_v<M, proto::ErrorReply>) {
          if (msg.code == proto::ErrorCodeName(proto::ErrorCode::kUnknownField) &&
              msg.message.find("'ack'") != std::string_view::npos) {
            what = Shows::kUnknown;
          }
        }
        return std::pair{msg.request_id, what};
      },
      m);
  if (request_id == probe_ping_ && std::holds_alternative<proto::Pong>(m)) {
    if (ack_less_ != AckLess::kUnknown) return false;
    // The witness had no error before the pong: tqd took its `ack`. Had it
    // one (a bad fn, say), tqd may not have got to `ack`: the next
    // ack-less submit probes again.
    if (probing_.contains(probe_witness_)) {
      ack_less_ = AckLess::kHonoured;
      probing_.clear();
    } else {
      probe_ping_ = probe_witness_ = 0;
    }
    return false;
  }
  const auto kept = probing_.find(request_id);
  if (kept == probing_.end()) return false;
  if (shows == Shows::kTaken) {
    ack_less_ = AckLess::kHonoured;
    probing_.clear();
    return false;
  }
  if (shows == Shows::kNothing) {
    probing_.erase(kept);  // another error ends it
    return false;
  }
  ack_less_ = AckLess::kRefused;
  const auto call = in_flight_.find(request_id);
  bool waited = false;
  if (call != in_flight_.end()) {
    std::lock_guard lock(call->second->mu);
    waited = !call->second->done;  // not forgotten meanwhile
  }
  if (waited) {
    // Ahead of what was queued after it, in the order refused.
    Outgoing out{request_id, Acknowledged(kept->second), std::move(call->second), Clock::now()};
    out.batchable = true;
    unsent_.insert(unsent_.begin() + static_cast<std::ptrdiff_t>(std::min(resent_, unsent_.size())),
                   std::move(out));
    ++resent_;
  }
  if (call != in_flight_.end()) in_flight_.erase(call);
  probing_.erase(kept);
  return true;
}

void RawClient::Impl::Dispatch(const proto::DaemonMessage& m) {
  const bool probing =
      !probing_.empty() || (probe_ping_ != 0 && ack_less_ == AckLess::kUnknown);
  if (probing && ProbeAnswered(m)) return;
  std::visit(
      [&](const auto& msg) {
        using M = std::decay_t<decltype(msg)>;
        if constexpr (std::is_same_v<M, proto::ErrorReply>) {
          if (msg.request_id == 0) return OnConnectionError(msg);
        }
        auto it = in_flight_.find(msg.request_id);
        if (it == in_flight_.end()) return;  // e.g. failed on disconnect
        CallState& call = *it->second;
        if constexpr (std::is_same_v<M, proto::Accepted>) {
          bool cancel = false, forget = false;
          {
            std::lock_guard lock(call.mu);
            call.task_id = msg.task_id;
            cancel = call.cancel_requested;
            forget = call.forget_requested;
          }
          call.cv.notify_all();  // wait_accepted()
          if (cancel) (void)SendTaskRequest(proto::TaskVerb::kCancel, msg.task_id);
          if (forget) SendUnwait(msg.task_id, msg.request_id);
          return;
        } else if constexpr (std::is_same_v<M, proto::PipeMessage>) {
          // On a piped submit's call: the call goes on until its result.
          if (msg.close) {
            call.PipeClosed();
          } else {
            call.PipeIn(std::string(msg.data));
          }
          return;
        } else if constexpr (std::is_same_v<M, proto::ObjectReply>) {
          ObjectAnswer a;
          if (msg.value) a.value.emplace(*msg.value);
          a.keys.assign(msg.keys.begin(), msg.keys.end());
          a.values.assign(msg.values.begin(), msg.values.end());
          a.size = msg.size;
          a.ok = msg.ok;
          a.broken = msg.broken;
          a.timed_out = msg.timed_out;
          a.cursor = msg.cursor;
          Outcome o;
          o.kind = Outcome::Kind::kValue;
          o.value = a.value.value_or(std::string("\xc0", 1));  // nil when none
          {
            std::lock_guard lock(call.mu);
            call.Answers().answer = std::move(a);
          }
          call.Complete(std::move(o));
        } else if constexpr (std::is_same_v<M, proto::TaskProgress>) {
          call.Report(Progress{msg.done, msg.total, std::string(msg.message)});
          return;  // the call goes on
        } else if constexpr (std::is_same_v<M, proto::WorkersReply>) {
          std::vector<WorkerStatus> list;
          for (const proto::WorkerInfo& w : msg.workers) {
            list.push_back({w.slot, w.pid, std::string(w.state), w.task_id,
                            std::string(w.fn), w.tasks_done, w.uptime_ms, w.rss_bytes,
                            std::string(w.name), w.task_ms, w.submitter_uid, w.submitter_pid,
                            std::string(w.host), w.beat_age_ms});
          }
          {
            std::lock_guard lock(call.mu);
            call.Answers().workers = std::move(list);
          }
          Outcome o;
          o.kind = Outcome::Kind::kValue;
          call.Complete(std::move(o));
        } else if constexpr (std::is_same_v<M, proto::FunctionsReply>) {
          std::vector<FunctionInfo> list;
          for (const proto::FunctionInfo& f : msg.functions) {
            list.push_back({std::string(f.name), std::string(f.origin)});
          }
          {
            std::lock_guard lock(call.mu);
            call.Answers().functions = std::move(list);
          }
          Outcome o;
          o.kind = Outcome::Kind::kValue;
          call.Complete(std::move(o));
        } else if constexpr (std::is_same_v<M, proto::JobReply>) {
          JobStatus job{std::string(msg.name), msg.queued, msg.running, msg.done, msg.failed, {}};
          for (const proto::JobFailure& f : msg.failures) {
            job.failures.push_back({f.task_id, std::string(f.key), FromWire(f.state),
                                    std::string(f.message)});
          }
          {
            std::lock_guard lock(call.mu);
            call.Answers().job = std::move(job);
          }
          Outcome o;
          o.kind = Outcome::Kind::kValue;
          call.Complete(std::move(o));
        } else if constexpr (std::is_same_v<M, proto::StatsReply>) {
          QueueStats st = ToQueueStats(msg);
          {
            std::lock_guard lock(call.mu);
            call.Answers().stats = std::move(st);
          }
          Outcome o;
          o.kind = Outcome::Kind::kValue;
          call.Complete(std::move(o));
        } else if constexpr (std::is_same_v<M, proto::MetricsReply>) {
          {
            std::lock_guard lock(call.mu);
            call.Answers().text.assign(msg.text);
          }
          Outcome o;
          o.kind = Outcome::Kind::kValue;
          call.Complete(std::move(o));
        } else if constexpr (std::is_same_v<M, proto::TaskStatus>) {
          TaskInfo info;
          info.task_id = msg.task_id;
          info.state = FromWire(msg.state);
          info.fn.assign(msg.fn);
          info.priority = msg.priority;
          info.attempts = msg.attempts;
          info.worker_pid = msg.worker_pid;
          info.queued_at_ms = msg.queued_at_ms;
          info.started_at_ms = msg.started_at_ms;
          info.finished_at_ms = msg.finished_at_ms;
          info.name.assign(msg.name);
          info.submitter_uid = msg.submitter_uid;
          info.submitter_pid = msg.submitter_pid;
          if (msg.error) {
            info.error_type.emplace(msg.error->type);
            info.error_message.assign(msg.error->message);
            info.error = Details(*msg.error);
          }
          {
            std::lock_guard lock(call.mu);
            call.Answers().status = std::move(info);
          }
          Outcome o;
          o.kind = Outcome::Kind::kValue;
          o.task_id = msg.task_id;
          call.Complete(std::move(o));
        } else if constexpr (std::is_same_v<M, proto::TaskResult>) {
          Outcome o;
          o.task_id = msg.task_id;
          o.state = FromWire(msg.state);
          o.attempts = msg.attempts;
          if (msg.state == proto::TaskState::kDone) {
            o.kind = Outcome::Kind::kValue;
            o.value.assign(msg.value);
          } else {
            o.kind = Outcome::Kind::kTaskError;
            o.error_type.assign(msg.error.type);
            o.message.assign(msg.error.message);
            o.details = Details(msg.error);
          }
          call.Complete(std::move(o));
        } else if constexpr (std::is_same_v<M, proto::ErrorReply>) {
          Outcome o;
          o.error_type.assign(msg.code);
          if (IsProtocolCode(msg.code)) {
            o.kind = Outcome::Kind::kProtocol;
            o.message = "tqd refused the request as " + o.error_type + ": " +
                        std::string(msg.message);
          } else {
            o.kind = Outcome::Kind::kRejected;
            o.message.assign(msg.message);
          }
          call.Complete(std::move(o));
        } else {
          static_assert(std::is_same_v<M, proto::Pong>);
          {
            std::lock_guard lock(call.mu);
            call.Answers().server = {std::string(msg.server), msg.pid, msg.workers,
                           std::string(msg.instance), msg.started_at_ms};
          }
          Outcome o;
          o.kind = Outcome::Kind::kValue;
          call.Complete(std::move(o));
        }
        in_flight_.erase(it);
      },
      m);
}

void RawClient::Impl::OnMonitorEvent(zmq::socket_t& monitor) {
  for (;;) {
    zmq::message_t event;
    try {
      if (!monitor.recv(event, zmq::recv_flags::dontwait)) return;
      zmq::message_t address;
      if (event.more()) (void)monitor.recv(address, zmq::recv_flags::none);
    } catch (const zmq::error_t&) {
      return;
    }
    if (event.size() < sizeof(std::uint16_t)) continue;
    std::uint16_t id;
    std::memcpy(&id, event.data(), sizeof id);
    if (id == ZMQ_EVENT_CONNECTED) {
      connected_ = true;
    } else if (id == ZMQ_EVENT_DISCONNECTED) {
      connected_ = false;
      // What tqd sent before it went may still wait in the socket (the
      // monitor's event can overtake it): those answers count.
      Receive(dealer_);
      // Requests sent on that connection got no answer and never will:
      // tqd routes a result only to the connection that submitted it.
      for (auto& [id_, call] : in_flight_) {
        call->Complete(Failure(Outcome::Kind::kConnection,
                               "lost the connection to tqd at " +
                                   options_.endpoint +
                                   " before the result arrived"));
      }
      in_flight_.clear();
      // The next connection may reach another tqd.
      probing_.clear();
      ack_less_ = AckLess::kUnknown;
      probe_ping_ = probe_witness_ = 0;
    }
  }
}

void RawClient::Impl::OnConnectionError(const proto::ErrorReply& e) {
  if (e.code != proto::ErrorCodeName(proto::ErrorCode::kRepliesDropped)) return;
  // Which requests lost their replies cannot be told: none of those in
  // flight can count on theirs. Their tasks run on, and may be waited for
  // by id.
  const std::string why = "tqd dropped " + std::to_string(e.dropped) +
                          " replies to this client, which did not read them in time: " +
                          std::string(e.message);
  for (auto& [id, call] : in_flight_) {
    call->Complete(Failure(Outcome::Kind::kConnection, why));
  }
  in_flight_.clear();
  probing_.clear();
}

void RawClient::Impl::FailAll(const std::string& why) {
  for (Outgoing& o : unsent_) {
    o.call->Complete(Failure(Outcome::Kind::kConnection, why));
  }
  unsent_.clear();
  for (auto& [id, call] : in_flight_) {
    call->Complete(Failure(Outcome::Kind::kConnection, why));
  }
  in_flight_.clear();
}

// ---- RawClient -------------------------------------------------------------

RawClient::RawClient(ClientOptions options)
    : impl_(std::make_shared<Impl>(std::move(options))) {}
RawClient::~RawClient() = default;

RawResult RawClient::Submit(std::string_view fn, std::string_view args,
                            const SubmitOptions& options) {
  return impl_->Submit(fn, args, options, nullptr, 0, detail::ArgsShape::kCall);
}

RawResult RawClient::Submit(
    std::string_view fn, std::string_view args, const SubmitOptions& options,
    const std::shared_ptr<detail::CompletionQueue>& queue, std::size_t tag,
    detail::ArgsShape shape) {
  return impl_->Submit(fn, args, options, queue, tag, shape);
}

RawResult RawClient::Wait(std::uint64_t task_id) {
  return impl_->SendTaskRequest(proto::TaskVerb::kWait, task_id);
}

TaskInfo RawClient::Status(std::uint64_t task_id) {
  return impl_->AskTask(proto::TaskVerb::kStatus, task_id);
}

TaskInfo RawClient::Cancel(std::uint64_t task_id) {
  return impl_->AskTask(proto::TaskVerb::kCancel, task_id);
}

TaskInfo RawClient::Kick(std::uint64_t task_id) {
  return impl_->AskTask(proto::TaskVerb::kKick, task_id);
}

std::vector<WorkerStatus> RawClient::Workers() {
  auto call = impl_->AskList(proto::Listing::kWorkers);
  std::lock_guard lock(call->mu);
  return call->AnswersOrNone().workers;
}

QueueStats RawClient::Stats() {
  auto call = impl_->AskList(proto::Listing::kStats);
  std::lock_guard lock(call->mu);
  return call->AnswersOrNone().stats;
}

JobStatus RawClient::Job(const std::string& name) {
  return impl_->AskJob(name);
}

std::string RawClient::MetricsText() {
  auto call = impl_->AskList(proto::Listing::kMetrics);
  std::lock_guard lock(call->mu);
  return call->AnswersOrNone().text;
}

std::vector<FunctionInfo> RawClient::Functions() {
  auto call = impl_->AskList(proto::Listing::kFunctions);
  std::lock_guard lock(call->mu);
  return call->AnswersOrNone().functions;
}

RawResult RawClient::Object(const ObjectCall& call) { return impl_->Object(call); }

RawResult RawClient::PipeSend(std::uint64_t task_id, std::string data) {
  return impl_->Pipe(task_id, std::move(data), false);
}

RawResult RawClient::PipeClose(std::uint64_t task_id) { return impl_->Pipe(task_id, {}, true); }

ServerInfo RawClient::Ping() { return impl_->Ping(); }

const std::string& RawClient::endpoint() const { return impl_->endpoint(); }

}  // namespace tq
