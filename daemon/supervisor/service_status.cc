// Supervisor::ServiceCountsNow: the numbers behind the STATUS= line systemd
// shows (service_notifier.h), read from the pool and the scheduler.
#include "supervisor.h"

namespace tq::daemon {

ServiceCounts Supervisor::ServiceCountsNow() const {
  ServiceCounts c;
  c.phase = stopping_  ? ServiceCounts::Phase::kStopping
            : serving_ ? ServiceCounts::Phase::kServing
                       : ServiceCounts::Phase::kStarting;
  c.workers = static_cast<int>(pools_.size());
  c.queued = queued();
  pools_.ForEachWorker([&](const WorkerView& w) {
    if (w.state == "busy") ++c.busy;
    if (w.state == "busy" || w.state == "idle") ++c.ready;
  });
  return c;
}

}  // namespace tq::daemon
