// WORKERS, STATS, FUNCTIONS and METRICS: what the pool, the queue, the
// offered functions and the counts look like now; and the same figures for
// the --metrics endpoint.
#include "proc_stats.h"
#include "prometheus_text.h"
#include "supervisor.h"

namespace tq::daemon {
namespace {

std::uint64_t Ms(base::Duration d) {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
}

// The pool now: its workers by state, and the tasks they run.
struct PoolNow {
  std::uint32_t live = 0;
  std::uint64_t running = 0;
  proto::WorkerCounts states;
};

PoolNow CountWorkers(const Pools& pool) {
  PoolNow n;
  pool.ForEachWorker([&](const WorkerView& w) {
    ++n.live;
    if (w.task_id) ++n.running;
    if (w.state == "starting") ++n.states.starting;
    else if (w.state == "idle") ++n.states.idle;
    else if (w.state == "busy") ++n.states.busy;
    else ++n.states.stopping;
  });
  return n;
}

}  // namespace

void Supervisor::HandleList(std::string_view client, const proto::ListRequest& m) {
  const auto now = clock_.Now();
  reply_.clear();
  if (m.what == proto::Listing::kFunctions) {
    proto::FunctionsReply r;
    r.request_id = m.request_id;
    for (const auto& [name, origin] : functions_) r.functions.push_back({name, origin});
    proto::Encode(r, reply_);
  } else if (m.what == proto::Listing::kWorkers) {
    proto::WorkersReply r;
    r.request_id = m.request_id;
    pools_.ForEachWorker([&](const WorkerView& w) {
      proto::WorkerInfo info;
      info.slot = static_cast<std::uint32_t>(w.slot);
      info.pid = static_cast<std::uint32_t>(w.pid);
      info.state = w.state;
      if (w.task_id) {
        info.task_id = *w.task_id;
        if (const Task* t = tasks_.Find(*w.task_id)) {
          info.fn = t->fn();
          if (t->name) info.name = *t->name;
          info.submitter_uid = t->submitter_uid;
          info.submitter_pid = static_cast<std::uint32_t>(t->submitter_pid);
        }
        info.task_ms = Ms(now - w.task_started_at);
      }
      info.tasks_done = w.tasks_done;
      info.uptime_ms = Ms(now - w.started_at);
      // A remote worker's as its agent last sampled it.
      info.rss_bytes = w.host.empty() ? ReadRssBytes(w.pid) : w.rss_bytes;
      info.host = w.host;
      if (!w.host.empty()) info.beat_age_ms = Ms(now - w.heard_at);
      r.workers.push_back(info);
    });
    proto::Encode(r, reply_);
  } else if (m.what == proto::Listing::kStats) {
    proto::StatsReply r = Stats();
    r.request_id = m.request_id;
    proto::Encode(r, reply_);
  } else {
    const std::string text = PrometheusText();
    proto::Encode(proto::MetricsReply{m.request_id, text}, reply_);
  }
  SendReply(client);
}

proto::StatsReply Supervisor::Stats() {
  proto::StatsReply r;
  r.queued = queued();
  const PoolNow pool = CountWorkers(pools_);
  r.workers = pool.live;
  r.running = pool.running;
  r.worker_states = pool.states;
  const auto now = clock_.Now();
  r.since_start = metrics_.SinceStart(now);
  r.last_minute = metrics_.LastMinute(now);
  r.functions = metrics_.Functions();
  for (std::uint64_t id : recent_) {
    const Task* t = tasks_.Find(id);
    if (t == nullptr || !proto::IsFinal(t->state)) continue;  // evicted, kicked
    r.recent.push_back({t->id, t->fn(), t->state, t->attempts, t->queued_at_ms,
                        t->extras().finished_at_ms});
  }
  r.tasks = tasks_.size();
  r.durable_tasks = durable_tasks_;
  r.store_path = store_->path();
  r.store_bytes = StoreBytes();
  r.store_error = store_error_;
  if (agents_) {
    pools_.ForEach([&](const WorkerPool& p) {
      proto::HostStats h{p.host().empty() ? std::string_view("local") : p.host()};
      p.ForEachWorker([&](const WorkerView& w) {
        ++h.workers;
        if (w.task_id) ++h.busy;
      });
      h.tasks_done = p.tasks_done();
      r.hosts.push_back(h);
    });
  }
  return r;
}

std::string Supervisor::PrometheusText() const {
  const PoolNow pool = CountWorkers(pools_);
  return daemon::PrometheusText(metrics_, {.queued = queued(),
                                           .running = pool.running,
                                           .workers = pool.states,
                                           .started_at_ms = started_at_ms_,
                                           .tasks_held = tasks_.size(),
                                           .durable_tasks = durable_tasks_,
                                           .store_bytes = StoreBytes(),
                                           .store_failing = !store_error_.empty()});
}

}  // namespace tq::daemon
