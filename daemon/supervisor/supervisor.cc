// Supervisor: construction, the loop, replies and worker events.
#include "supervisor.h"

#include <malloc.h>
#include <signal.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <random>
#include <chrono>
#include <vector>

#include "activated_socket.h"
#include "proc_stats.h"
#include "task_log.h"
#include "settings.h"
#include "tq/proto/endpoint.h"

namespace tq::daemon {
namespace {

using namespace std::chrono_literals;
using proto::ErrorCode;
using proto::Status;
using proto::TaskState;

// Most client messages, and requests (a batch holds up to 1024), read per
// loop turn, so workers' results and signals are not starved by a flood of
// submits, and a turn's replies, sent together, stay a few hundred KiB.
constexpr int kMaxMessagesPerTurn = 256;
constexpr std::size_t kMaxRequestsPerTurn = 4096;
// How often unsent replies to slow clients are retried.
constexpr auto kOutboxRetry = 10ms;
// Between SIGTERM and SIGKILL for workers that outlive shutdown_grace.
constexpr auto kKillGrace = 2s;
// Tasks and replies freed since the peak before freed heap memory is given
// back to the kernel.
constexpr std::size_t kTrimAfterFreeing = 10000;
// Requests read before the heap is trimmed anyway, at most once a
// kTrimEvery: ZeroMQ's I/O thread queues a burst of them in its own
// malloc arena (64 bytes a frame), which keeps those pages when they are
// freed, some 64 MB after a million submits (bench: RSS per queued task).
// The first trim after a burst takes a few ms; the next ones, microseconds.
constexpr std::size_t kTrimAfterReceiving = 16 * 1024;
constexpr auto kTrimEvery = 100ms;
// The start log is rewritten with only what it still needs past this size
// (64k starts).
constexpr std::uint64_t kStartLogTrimBytes = 1 << 20;

// 128 random bits as 32 hex digits: this start's instance id.
std::string NewInstanceId() {
  std::random_device random;
  std::string id;
  for (int i = 0; i < 4; ++i) {
    char word[9];
    std::snprintf(word, sizeof word, "%08x", static_cast<unsigned>(random()));
    id += word;
  }
  return id;
}

}  // namespace

proto::Result<std::unique_ptr<Supervisor>> Supervisor::Create(
    Config config, ConfigLoader reload) {
  TQ_RETURN_IF_ERROR(config.Validate());
  // Before the ZeroMQ context exists, so its threads inherit the mask and
  // every signal arrives on the signalfd.
  auto signals = base::SignalFd::Create({SIGTERM, SIGINT, SIGHUP, SIGCHLD});
  if (!signals.ok()) return signals.status();
  ::signal(SIGPIPE, SIG_IGN);  // a dead worker's pipe gives EPIPE instead

  auto activated = TakeActivatedSocket(config.endpoint);
  if (!activated.ok()) return activated.status();
  EndpointLock lock;
  if (const auto path = proto::IpcPath(config.endpoint); !path.empty()) {
    using File = EndpointLock::SocketFile;
    auto acquired = EndpointLock::Acquire(std::string(path),
                                          *activated ? File::kSystemds : File::kOurs);
    if (!acquired.ok()) return acquired.status();
    lock = std::move(*acquired);
  }
  // After the endpoint lock: a second tqd on the endpoint is told about
  // that first. A store that cannot be opened stops tqd: it never runs
  // without the durability it was asked for.
  store::StoreOptions store_options;
  store_options.max_page_count =
      static_cast<std::int64_t>((config.store_max_bytes + 4095) / 4096);
  auto store = store::TaskStore::Open(config.state_dir, store_options);
  if (!store.ok()) return store.status();
  std::unique_ptr<Supervisor> s(new Supervisor(std::move(config), std::move(reload),
                                               std::move(*signals), std::move(lock),
                                               std::move(*store)));
  s->activated_socket_ = std::move(*activated);
  TQ_RETURN_IF_ERROR(s->Init());
  return s;
}

Supervisor::Supervisor(Config config, ConfigLoader reload, base::SignalFd signals,
                       EndpointLock lock, std::unique_ptr<store::TaskStore> store)
    : config_(std::move(config)),
      reload_(std::move(reload)),
      notifier_(ServiceNotifier::FromEnvironment(clock_)),
      stack_tool_(StackCapture::FindTool()),
      signals_(std::move(signals)),
      lock_(std::move(lock)),
      store_(std::move(store)),
      context_(1),
      pool_(MakeWorkerCommand(), config_.workers, MakePoolSettings(), spawner_,
            clock_, *this),
      scheduler_(config_.max_queued),
      tasks_(config_.retention),
      decoder_(config_.limits),
      objects_(config_.objects, *this),
      instance_(NewInstanceId()),
      started_at_ms_(WallMs()) {
  scheduler_.set_max_running_per_user(config_.max_running_per_user);
}

WorkerCommand Supervisor::MakeWorkerCommand() const {
  WorkerCommand c;
  c.program = config_.worker_program;
  c.plugins = config_.plugins;
  c.limits = config_.limits;
  c.start_timeout = config_.worker_start_timeout;
  // Tasks reach this tqd's objects (tq::worker::client()).
  if (!worker_endpoint_.empty()) c.env.push_back("TQ_ENDPOINT=" + worker_endpoint_);
  // tq-worker's limit flags (PROTOCOL.md §7), like the exec ones below
  // only when set.
  auto flag = [&](const char* name, std::uint64_t value) {
    c.extra_args.push_back(name);
    c.extra_args.push_back(std::to_string(value));
  };
  if (config_.limits.max_result_bytes != proto::Limits{}.max_result_bytes) {
    flag("--max-result-bytes", config_.limits.max_result_bytes);
  }
  if (config_.worker_rlimit_as != 0) flag("--rlimit-as", config_.worker_rlimit_as);
  if (config_.worker_rlimit_cpu != 0) flag("--rlimit-cpu", config_.worker_rlimit_cpu);
  // Only what differs from the worker's defaults: a custom worker program
  // that does not use the SDK's Main still starts when exec is left alone.
  if (!config_.exec_enabled) {
    c.extra_args.insert(c.extra_args.end(), {"--exec", "off"});
  }
  for (const std::string& p : config_.exec_allow) {
    c.extra_args.insert(c.extra_args.end(), {"--exec-allow", p});
  }
  return c;
}

PoolSettings Supervisor::MakePoolSettings() const {
  PoolSettings p;
  p.max_tasks_per_worker = config_.max_tasks_per_worker;
  p.max_rss_bytes = config_.max_rss_per_worker;
  p.stop_grace = config_.stop_grace;
  p.prefetch_budget = config_.prefetch_budget;
  p.stack_tool = config_.capture_stacks ? stack_tool_ : "";
  return p;
}

Supervisor::~Supervisor() = default;

Status Supervisor::Init() {
  // Before the socket exists: recovered tasks are queued before any client
  // can submit, and the ids handed out start above every earlier one.
  TQ_RETURN_IF_ERROR(Recover());
  auto journal = Journal::Start(*store_);
  if (!journal.ok()) return journal.status();
  journal_ = std::move(*journal);
  tasks_.set_on_evict([this](const Task& task) {
    if (!task.durable) return;
    journal_->batch().Delete(task.id);
    --durable_tasks_;
  });
  auto router = RouterSocket::Bind(
      context_, config_.endpoint,
      RouterOptions{config_.limits.max_message_bytes, 10000, config_.heartbeat_interval,
                    config_.heartbeat_timeout, activated_socket_.Release()});
  if (!router.ok()) return router.status();
  router_.emplace(std::move(*router));
  auto watch = ClientWatch::Start(context_, router_->handle(),
                                  [this](const std::string& client) { OnClientGone(client); });
  if (!watch.ok()) return watch.status();
  watch_.emplace(std::move(*watch));
  worker_endpoint_ = router_->LastEndpoint();
  pool_.set_command(MakeWorkerCommand());
  if (!config_.agents.empty()) {
    auto agents = AgentHub::Start(context_, config_, MakeWorkerCommand(), MakePoolSettings(),
                                  clock_, *this);
    if (!agents.ok()) return agents.status();
    agents_ = std::move(*agents);
    pools_.set_agents(agents_.get());
  }
  if (!config_.metrics.empty()) {
    auto endpoint = MetricsEndpoint::Bind(context_, config_.metrics, clock_,
                                          [this] { return PrometheusText(); });
    if (!endpoint.ok()) return endpoint.status();
    metrics_endpoint_.emplace(std::move(*endpoint));
    spdlog::info("serving metrics at {}", metrics_endpoint_->url());
  }
  return pool_.Start();
}

int Supervisor::Run() {
  spdlog::info("tqd {} starting {} workers on {}", TQ_VERSION, config_.workers,
               config_.endpoint);
  if (config_.capture_stacks && stack_tool_.empty()) {
    spdlog::warn("neither gdb nor eu-stack is installed: timed-out tasks will "
                 "be reported without their stack");
  }
  while (!ShutdownFinished()) {
    BeforeSleep();
    Poll();
    RunExpired();
    if (!pool_.start_failure().empty()) {
      spdlog::error("cannot start: {}", pool_.start_failure());
      return 1;
    }
    if (!serving_ && pool_.ready()) {
      serving_ = true;
      spdlog::info("ready: {} workers, {} functions", pool_.size(),
                   functions_.size());
      notifier_.Ready(ServiceCountsNow());
    }
  }
  // Everything written is on disk before tqd exits: queued durable tasks
  // come back at the next start.
  if (const Status s = journal_->Drain(); !s.ok()) {
    spdlog::error("the task store could not commit at exit: {}", s.message());
  }
  FlushTurnReplies();
  RetryOutbox();
  if (!outboxes_.empty()) {
    spdlog::warn("exiting with replies undelivered to {} slow clients",
                 outboxes_.size());
  }
  // Let the last replies leave before the socket closes.
  router_->SetLinger(1000);
  spdlog::info("stopped");
  return 0;
}

bool Supervisor::ShutdownFinished() const { return stopping_ && pools_.AllExited(); }

void Supervisor::BeforeSleep() {
  if (!outboxes_.empty()) RetryOutbox();
  // glibc keeps the heap a burst of tasks or unread replies grew, so RSS
  // would stay at its peak for good: once enough of it is freed, give it
  // back.
  std::size_t held = tasks_.size();
  for (const auto& entry : outboxes_) held += entry.second.replies.size();
  held += journal_->held();
  held_peak_ = std::max(held_peak_, held);
  if (held_peak_ - held >= kTrimAfterFreeing ||
      (received_since_trim_ >= kTrimAfterReceiving && clock_.Now() - trimmed_at_ >= kTrimEvery)) {
    ::malloc_trim(0);
    held_peak_ = held;
    received_since_trim_ = 0;
    trimmed_at_ = clock_.Now();
  }
  if (!late_cancels_.empty()) CancelLate();
  if (!stopping_ && (scheduler_.size() != 0 || !claimed_.empty())) Dispatch();
  if (start_log_->bytes() >= kStartLogTrimBytes) TrimStartLog();
  // Last: the turn's writes, the ones Dispatch made included, go to disk
  // together; then the turn's replies leave, a batch per client.
  journal_->Flush();
  FlushTurnReplies();
}

void Supervisor::Dispatch() {
  const auto now = clock_.Now();
  // The start log cannot be written (a full disk): claimed tasks wait, and
  // non-durable ones go past them.
  bool claims_blocked = false;
  for (;;) {
    bool claim = false;
    Task* task = NextToStart(now, claims_blocked, &claim);
    if (task == nullptr) break;
    // An idle worker first; else, for a short task, one whose queue of
    // work sent ahead is within the budget (it waits there in order, as it
    // would have in ours).
    std::optional<Pools::Slot> slot = pools_.FindIdle();
    const base::Duration expected = ExpectedRunTime(*task);
    const bool ahead = !slot;
    if (ahead) {
      if (!Prefetchable(*task) || expected <= base::Duration{0}) break;
      slot = pools_.FindPrefetchSlot(expected, task->durable ? kMaxDurablePrefetch
                                                            : kMaxPrefetch);
      if (!slot) break;
    }
    if (claim) {
      if (!LogStart(*task)) {
        claims_blocked = true;
        continue;
      }
      claimed_.pop_front();
      ++durable_starts_;
    } else {
      (void)scheduler_.Pop(now);
      task->state = TaskState::kRunning;
      ++task->attempts;
    }
    if (ahead) {
      PrefetchOn(*slot, *task, expected);
    } else {
      StartOn(*slot, *task, expected);
    }
  }
  // Claims: one for each worker idle now, and claim_ahead_ more, so that
  // workers that free up during the next commit find their task on disk.
  // Only durable tasks at the head of the queue: the order holds. Past
  // that count, a task that outranks the last claim is claimed too, in its
  // place by priority, so that it starts before the claims it outranks.
  const std::size_t wanted = pools_.idle() + claim_ahead_;
  while (true) {
    const std::optional<std::uint64_t> id = scheduler_.Peek(now);
    if (!id) break;
    Task* task = tasks_.Find(*id);
    if (task == nullptr || task->state != TaskState::kQueued) {
      (void)scheduler_.Pop(now);
      scheduler_.RunEnded(*id);
      continue;
    }
    if (!task->durable) break;  // it goes to the next free worker
    if (claimed_.size() >= wanted && !OutranksLastClaim(*task)) break;
    (void)scheduler_.Pop(now);
    Claim(*task);
  }
}

Task* Supervisor::NextToStart(base::TimePoint now, bool claims_blocked, bool* claim) {
  // First the claimed durable tasks whose start is on disk, in order.
  while (!claimed_.empty()) {
    const Task* task = tasks_.Find(claimed_.front());
    if (task != nullptr && task->claimed) break;
    claimed_.pop_front();  // cancelled or refused meanwhile
  }
  // A claim goes first unless a task queued since outranks it: claiming
  // ahead must not let a low-priority task jump one submitted after it.
  if (!claimed_.empty() && !claims_blocked && !OutrankedByQueued(claimed_.front(), now)) {
    Task* task = tasks_.Find(claimed_.front());
    if (!journal_->Done(task->extras().write_seq)) return nullptr;  // the worker waits for the disk
    *claim = true;
    return task;
  }
  for (;;) {
    const std::optional<std::uint64_t> id = scheduler_.Peek(now);
    if (!id) return nullptr;
    Task* task = tasks_.Find(*id);
    if (task != nullptr && task->state == TaskState::kQueued) {
      // A durable one is claimed (Dispatch), and started once on disk.
      return task->durable ? nullptr : task;
    }
    (void)scheduler_.Pop(now);
    scheduler_.RunEnded(*id);
  }
}

base::Duration Supervisor::ExpectedRunTime(const Task& task) const {
  return run_times_.Estimate(task.fn(), task.chunk).value_or(base::Duration{0});
}

bool Supervisor::Prefetchable(const Task& task) {
  // A task with a timeout has a deadline from its start, which a task
  // waiting in a worker's pipe does not know; one with a pipe reads the
  // worker's pipe itself.
  return task.extras().timeout.count() == 0 && !task.pipe;
}

bool Supervisor::OutrankedByQueued(std::uint64_t claimed_id, base::TimePoint now) {
  const Task* claim = tasks_.Find(claimed_id);
  const std::optional<std::uint64_t> head = scheduler_.Peek(now);
  if (claim == nullptr || !head) return false;
  const Task* task = tasks_.Find(*head);
  return task != nullptr && task->state == TaskState::kQueued &&
         task->priority > claim->priority;
}

bool Supervisor::OutranksLastClaim(const Task& task) {
  // Cancelled claims at the back first: compared with one of them, every
  // task would outrank it, and the whole queue would be claimed.
  const Task* last = nullptr;
  while (!claimed_.empty()) {
    last = tasks_.Find(claimed_.back());
    if (last != nullptr && last->claimed) break;
    claimed_.pop_back();
    last = nullptr;
  }
  return last == nullptr || task.priority > last->priority;
}

void Supervisor::StartOn(Pools::Slot slot, Task& task, base::Duration expected) {
  if (task.claimed) Unclaim(task);
  task.mutable_extras().worker_pid = slot.pool->pid(slot.index);
  MarkStarted(task);
  slot.pool->Dispatch(slot.index,
                 proto::TaskAssignment{task.id, task.fn(), task.args(), task.chunk, task.pipe},
                 task.extras().timeout, expected);
  if (task.pipe) OnTaskStarted(task);
}

void Supervisor::MarkStarted(Task& task) {
  const auto now = clock_.Now();
  metrics_.TaskStarted(now - task.since);  // its wait in the queue, claimed or not
  task.since = now;
  task.mutable_extras().started_at_ms = WallMs();
  LogTask(spdlog::level::debug, task, "running (attempt {})", task.attempts);
}

void Supervisor::PrefetchOn(Pools::Slot slot, Task& task, base::Duration expected) {
  if (task.claimed) Unclaim(task);
  task.prefetched = true;
  task.mutable_extras().worker_pid = slot.pool->pid(slot.index);
  LogTask(spdlog::level::debug, task, "sent ahead to worker {}", task.extras().worker_pid);
  slot.pool->Prefetch(slot.index,
                      proto::TaskAssignment{task.id, task.fn(), task.args(), task.chunk, false},
                      expected);
}

std::chrono::milliseconds Supervisor::NextTimeout() const {
  std::optional<base::Duration> next = pools_.TimeUntilNextDeadline();
  const auto now = clock_.Now();
  const std::optional<base::TimePoint> metrics_at =
      metrics_endpoint_ ? metrics_endpoint_->NextDeadline() : std::nullopt;
  const std::optional<base::TimePoint> agents_at =
      agents_ ? agents_->NextDeadline() : std::nullopt;
  for (const auto& at : {term_at_, kill_at_, scheduler_.NextReadyAt(), agents_at,
                         objects_.NextDeadline(), notifier_.NextDeadline(), metrics_at}) {
    if (at) {
      const auto d = std::max<base::Duration>(*at - now, {});
      if (!next || d < *next) next = d;
    }
  }
  if (!outboxes_.empty() && (!next || *next > kOutboxRetry)) next = kOutboxRetry;
  // The start log failed to take a claimed task's start: try again soon.
  if (start_log_failing_ && !claimed_.empty() && (!next || *next > kOutboxRetry)) {
    next = kOutboxRetry;
  }
  if (!next) return std::chrono::milliseconds(-1);  // sleep until an event
  // Round up so a deadline 0.4 ms away does not spin with timeout 0.
  return std::chrono::ceil<std::chrono::milliseconds>(*next);
}

void Supervisor::Poll() {
  std::vector<zmq::pollitem_t> items;
  items.push_back({nullptr, signals_.fd(), ZMQ_POLLIN, 0});
  items.push_back({nullptr, journal_->completion_fd(), ZMQ_POLLIN, 0});
  items.push_back({watch_->handle(), 0, ZMQ_POLLIN, 0});
  const bool read_clients = serving_;
  if (read_clients) items.push_back({router_->handle(), 0, ZMQ_POLLIN, 0});
  const std::size_t metrics_item = items.size();
  if (metrics_endpoint_) items.push_back({metrics_endpoint_->handle(), 0, ZMQ_POLLIN, 0});
  const std::size_t agent_items = items.size();
  if (agents_) agents_->AppendPollItems(&items);
  std::vector<std::pair<AgentSession*, AgentSession::PollFd>> channels;
  if (agents_) agents_->AppendChannelFds(&channels);
  const std::size_t first_channel = items.size();
  for (const auto& [session, fd] : channels) {
    items.push_back({nullptr, fd.fd, static_cast<short>(fd.write ? ZMQ_POLLOUT : ZMQ_POLLIN), 0});
  }
  const std::size_t first_worker = items.size();
  // Every pool's worker pipes: tqd's own, and each agent session's (whose
  // other ends are that session's channels).
  std::vector<WorkerPool::PollFd> fds;
  std::vector<WorkerPool*> fd_pools;
  pools_.ForEach([&](WorkerPool& p) {
    p.AppendPollFds(&fds);
    fd_pools.resize(fds.size(), &p);
  });
  for (const WorkerPool::PollFd& fd : fds) {
    const short events =
        fd.role == WorkerPool::PollFd::Role::kWrite ? ZMQ_POLLOUT : ZMQ_POLLIN;
    items.push_back({nullptr, fd.fd, events, 0});
  }

  try {
    zmq::poll(items, NextTimeout());
  } catch (const zmq::error_t& e) {
    if (e.num() != EINTR) spdlog::error("poll: {}", e.what());
    return;
  }
  // Signals first: SIGCHLD reaps workers and may replace them, and the
  // pool drops the events polled for the ones replaced.
  if (items[0].revents & ZMQ_POLLIN) HandleSignals();
  // Then what waited for the disk: replies, and durable tasks' starts.
  if (items[1].revents & ZMQ_POLLIN) {
    journal_->OnCompletion();
    OnCommitted();
  }
  for (std::size_t i = 0; i < fds.size(); ++i) {
    if (items[first_worker + i].revents != 0) fd_pools[i]->OnPollEvent(fds[i]);
  }
  // Agents' channels before their sockets: a session a message ends stops
  // polling its channels.
  for (std::size_t i = 0; i < channels.size(); ++i) {
    if (items[first_channel + i].revents != 0) channels[i].first->OnPollEvent(channels[i].second);
  }
  if (agents_) agents_->OnPolled(&items[agent_items]);
  if (items[2].revents & ZMQ_POLLIN) DrainWatch();
  if (read_clients && (items[3].revents & ZMQ_POLLIN)) DrainRouter();
  if (metrics_endpoint_ && (items[metrics_item].revents & ZMQ_POLLIN)) {
    metrics_endpoint_->OnReadable();
  }
}

void Supervisor::HandleSignals() {
  while (std::optional<int> sig = signals_.Read()) {
    switch (*sig) {
      case SIGCHLD:
        pool_.ReapExited();
        break;
      case SIGTERM:
      case SIGINT:
        if (!stopping_) {
          spdlog::info("{} received; draining", base::SignalName(*sig));
          BeginShutdown();
        } else {
          spdlog::info("{} received again; stopping workers now",
                       base::SignalName(*sig));
          shutdown_kill_sent_ = true;
          pools_.SignalAll(SIGKILL);
        }
        break;
      case SIGHUP:
        notifier_.Reloading();
        Reload();
        notifier_.Reloaded(ServiceCountsNow());
        break;
      default:
        break;
    }
  }
}

void Supervisor::DrainRouter() {
  // Expired results go before requests are read: a wait or status must not
  // see a result past its TTL.
  tasks_.Evict(clock_.Now());
  // Disconnects queued before these messages are acted on first.
  DrainWatch();
  Incoming in;
  std::size_t requests = 0;
  for (int i = 0; i < kMaxMessagesPerTurn && requests < kMaxRequestsPerTurn &&
                  router_->Receive(&in);
       ++i) {
    requests += 1 + in.batch.size();
    received_since_trim_ += 1 + in.batch.size();
    HandleMessage(in);
  }
}

void Supervisor::RunExpired() {
  pools_.RunExpired();
  if (metrics_endpoint_) metrics_endpoint_->RunExpired();
  const auto now = clock_.Now();
  tasks_.Evict(now);
  objects_.RunExpired(now);
  if (term_at_ && now >= *term_at_) {
    term_at_.reset();
    spdlog::warn("shutdown grace of {} ms is over; terminating running tasks",
                 config_.shutdown_grace.count());
    shutdown_kill_sent_ = true;
    pools_.SignalAll(SIGTERM);
    kill_at_ = now + kKillGrace;
  }
  if (kill_at_ && now >= *kill_at_) {
    kill_at_.reset();
    pools_.SignalAll(SIGKILL);
  }
  if (notifier_.enabled()) notifier_.Tick(ServiceCountsNow());
}

void Supervisor::BeginShutdown() {
  stopping_ = true;
  std::size_t kept = 0;
  for (std::uint64_t id : scheduler_.TakeAll()) {
    Task* task = tasks_.Find(id);
    if (task == nullptr) continue;
    if (task->durable) {
      ++kept;  // stays queued on disk, for the next start
      continue;
    }
    EndTask(*task, TaskState::kCancelled, {},
            TaskError{"tq.Cancelled", "daemon shutting down", "shutdown"});
  }
  kept += claimed_.size();
  ReturnClaims();
  if (kept != 0) spdlog::info("{} durable tasks stay queued for the next start", kept);
  pools_.BeginShutdown();
  term_at_ = clock_.Now() + config_.shutdown_grace;
  notifier_.Stopping(ServiceCountsNow());
}

void Supervisor::SendReply(std::string_view client) { SendBytes(client, reply_.view()); }

void Supervisor::SendBytes(std::string_view client, std::string_view bytes) {
  auto it = outboxes_.find(std::string(client));
  if (it == outboxes_.end()) {
    if (auto b = batching_clients_.find(std::string(client)); b != batching_clients_.end()) {
      turn_replies_[*b].Add(bytes);  // sent with the rest of this turn's
      return;
    }
    switch (router_->Send(client, bytes)) {
      case RouterSocket::SendResult::kSent:
        return;
      case RouterSocket::SendResult::kUnreachable:
        spdlog::debug("client gone; dropping a {} byte reply", bytes.size());
        return;
      case RouterSocket::SendResult::kWouldBlock:
        it = outboxes_.try_emplace(std::string(client)).first;
        break;
    }
  }
  // Behind what is already waiting, to keep this client's order.
  Hold(it->second, bytes);
}

void Supervisor::Hold(Outbox& box, std::string_view bytes) {
  box.replies.emplace_back(bytes);
  box.bytes += bytes.size();
  while (box.bytes > config_.max_unread_reply_bytes && box.replies.size() > 1) {
    // This client has stopped reading; only its own replies are dropped.
    // Logged once per overflow, not per reply: a client must not be able
    // to flood the log.
    if (box.dropped++ == 0) {
      spdlog::warn("a client has {} bytes of unread replies; dropping its oldest",
                   box.bytes);
    }
    box.bytes -= box.replies.front().size();
    box.replies.pop_front();
  }
}

void Supervisor::FlushTurnReplies() {
  for (const auto& [client, batch] : turn_replies_) {
    for (std::size_t first = 0; first < batch.size(); first += proto::kMaxBatchRequests) {
      const std::size_t count = std::min(proto::kMaxBatchRequests, batch.size() - first);
      const RouterSocket::SendResult r = router_->SendBatch(client, batch, first, count);
      if (r == RouterSocket::SendResult::kSent) continue;
      if (r == RouterSocket::SendResult::kUnreachable) {
        spdlog::debug("client gone; dropping {} replies", batch.size() - first);
        break;
      }
      // Its queue is full: the rest wait in its outbox, in order, and
      // leave one by one as it reads.
      Outbox& box = outboxes_[client];
      for (std::size_t i = first; i < batch.size(); ++i) Hold(box, batch.at(i));
      break;
    }
  }
  turn_replies_.clear();
}

void Supervisor::RetryOutbox() {
  for (auto it = outboxes_.begin(); it != outboxes_.end();) {
    Outbox& box = it->second;
    while (!box.replies.empty()) {
      const auto r = router_->Send(it->first, box.replies.front());
      if (r == RouterSocket::SendResult::kWouldBlock) break;
      if (r == RouterSocket::SendResult::kUnreachable) {
        spdlog::debug("client gone; dropping {} unsent replies", box.replies.size());
        box.replies.clear();
        break;
      }
      box.bytes -= box.replies.front().size();
      box.replies.pop_front();
    }
    if (box.replies.empty() && box.dropped > 0) {
      spdlog::warn("dropped {} replies in all to a client that did not read them",
                   box.dropped);
      // It reads again: tell it that it will never see those replies, so it
      // can give up on their requests (or wait for their tasks by id).
      reply_.clear();
      proto::Encode(proto::ErrorReply{0, proto::ErrorCodeName(proto::ErrorCode::kRepliesDropped),
                                      std::to_string(box.dropped) +
                                          " replies to this connection were dropped: it did "
                                          "not read them while " +
                                          std::to_string(config_.max_unread_reply_bytes) +
                                          " bytes of them waited",
                                      box.dropped},
                    reply_);
      box.dropped = 0;
      if (router_->Send(it->first, reply_.view()) == RouterSocket::SendResult::kWouldBlock) {
        box.replies.emplace_back(reply_.view());
        box.bytes += reply_.size();
      }
    }
    it = box.replies.empty() ? outboxes_.erase(it) : std::next(it);
  }
}

void Supervisor::SendError(std::string_view client, std::uint64_t request_id,
                           const Status& status) {
  reply_.clear();
  proto::EncodeError(request_id, status, reply_);
  SendReply(client);
}

void Supervisor::Reload() {
  if (!reload_) return;
  spdlog::info("SIGHUP received; reloading the configuration");
  proto::Result<Config> next = reload_();
  if (next.ok()) {
    if (proto::Status v = next->Validate(); !v.ok()) next = v;
  }
  if (!next.ok()) {
    spdlog::error("new configuration rejected, keeping the old one: {}",
                  next.status().message());
    return;
  }
  Config& c = *next;
  // The endpoint and the message limits are fixed at start: the socket is
  // bound and the decoders are built with them.
  for (std::string_view name : KeepRestartOnlySettings(config_, &c)) {
    spdlog::warn("{} cannot change on reload; restart tqd to change it", name);
  }
  if (c.worker_program != config_.worker_program || c.plugins != config_.plugins) {
    spdlog::info("worker program or plugins changed: workers started from now "
                 "on use them");
  }
  config_ = std::move(c);
  pool_.set_command(MakeWorkerCommand());
  pool_.set_settings(MakePoolSettings());
  pool_.Resize(config_.workers);
  if (agents_) agents_->Reload(config_, MakePoolSettings());
  scheduler_.set_max_queued(config_.max_queued);
  scheduler_.set_max_running_per_user(config_.max_running_per_user);
  tasks_.set_limits(config_.retention);
  objects_.set_limits(config_.objects);
  spdlog::info("reloaded: {} workers, max_queued {}, task_timeout {} ms",
               config_.workers, config_.max_queued, config_.task_timeout.count());
}

}  // namespace tq::daemon
