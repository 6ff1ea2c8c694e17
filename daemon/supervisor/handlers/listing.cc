// WORKERS, STATS and FUNCTIONS: what the pool, the queue and the offered
// functions look like now.
#include "proc_stats.h"
#include "supervisor.h"

namespace tq::daemon {

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
    pool_.ForEachWorker([&](const WorkerView& w) {
      proto::WorkerInfo info;
      info.slot = static_cast<std::uint32_t>(w.slot);
      info.pid = static_cast<std::uint32_t>(w.pid);
      info.state = w.state;
      if (w.task_id) {
        info.task_id = *w.task_id;
        if (const Task* t = tasks_.Find(*w.task_id)) {
          info.fn = t->fn;
          if (t->name) info.name = *t->name;
        }
      }
      info.tasks_done = w.tasks_done;
      info.uptime_ms = static_cast<std::uint64_t>(
          std::chrono::duration_cast<std::chrono::milliseconds>(now - w.started_at)
              .count());
      info.rss_bytes = ReadRssBytes(w.pid);
      r.workers.push_back(info);
    });
    proto::Encode(r, reply_);
  } else {
    proto::StatsReply r;
    r.request_id = m.request_id;
    r.queued = scheduler_.size();
    pool_.ForEachWorker([&](const WorkerView& w) {
      ++r.workers;
      if (w.task_id) ++r.running;
    });
    auto ended = [&](proto::TaskState s) {
      return ended_by_state_[static_cast<std::size_t>(s)];
    };
    r.done = ended(proto::TaskState::kDone);
    r.failed = ended(proto::TaskState::kFailed);
    r.timed_out = ended(proto::TaskState::kTimedOut);
    r.cancelled = ended(proto::TaskState::kCancelled);
    r.lost = ended(proto::TaskState::kLost);
    r.buried = ended(proto::TaskState::kBuried);
    for (std::uint64_t id : recent_) {
      const Task* t = tasks_.Find(id);
      if (t == nullptr || !proto::IsFinal(t->state)) continue;  // evicted, kicked
      r.recent.push_back({t->id, t->fn, t->state, t->attempts, t->queued_at_ms,
                          t->finished_at_ms});
    }
    proto::Encode(r, reply_);
  }
  SendReply(client);
}

}  // namespace tq::daemon
