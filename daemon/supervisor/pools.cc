// Pools.
#include "pools.h"

namespace tq::daemon {

std::optional<Pools::Slot> Pools::FindIdle() const {
  // The pool with the most idle slots: work spreads over the hosts.
  WorkerPool* best = nullptr;
  std::size_t most = 0;
  ForEach([&](WorkerPool& p) {
    const std::size_t n = p.idle();
    if (n > most) {
      most = n;
      best = &p;
    }
  });
  if (best == nullptr) return std::nullopt;
  return Slot{best, *best->FindIdle()};
}

std::size_t Pools::idle() const {
  std::size_t n = 0;
  ForEach([&](const WorkerPool& p) { n += p.idle(); });
  return n;
}

std::optional<Pools::Slot> Pools::FindPrefetchSlot(base::Duration expected,
                                                   std::size_t max_depth) const {
  std::optional<Slot> found;
  ForEach([&](WorkerPool& p) {
    if (found) return;
    if (const std::optional<int> slot = p.FindPrefetchSlot(expected, max_depth)) {
      found = Slot{&p, *slot};
    }
  });
  return found;
}

std::size_t Pools::prefetched() const {
  std::size_t n = 0;
  ForEach([&](const WorkerPool& p) { n += p.prefetched(); });
  return n;
}

std::size_t Pools::size() const {
  std::size_t n = 0;
  ForEach([&](const WorkerPool& p) { n += static_cast<std::size_t>(p.size()); });
  return n;
}

bool Pools::SendToTask(std::uint64_t task_id, const proto::PipeMessage& message) {
  bool sent = false;
  ForEach([&](WorkerPool& p) { sent = sent || p.SendToTask(task_id, message); });
  return sent;
}

std::optional<std::size_t> Pools::PendingBytes(std::uint64_t task_id) const {
  std::optional<std::size_t> bytes;
  ForEach([&](const WorkerPool& p) {
    if (!bytes) bytes = p.PendingBytes(task_id);
  });
  return bytes;
}

bool Pools::StopTask(std::uint64_t task_id) {
  bool stopped = false;
  ForEach([&](WorkerPool& p) { stopped = stopped || p.StopTask(task_id); });
  return stopped;
}

bool Pools::DropPrefetched(std::uint64_t task_id) {
  bool dropping = false;
  ForEach([&](WorkerPool& p) { dropping = dropping || p.DropPrefetched(task_id); });
  return dropping;
}

void Pools::RunExpired() {
  local_.RunExpired();
  if (agents_ != nullptr) agents_->RunExpired();  // each session runs its pool's
}

std::optional<base::Duration> Pools::TimeUntilNextDeadline() const {
  std::optional<base::Duration> next = local_.TimeUntilNextDeadline();
  // The sessions' deadlines (their pools' included) come from the hub.
  return next;
}

void Pools::BeginShutdown() {
  local_.BeginShutdown();
  if (agents_ != nullptr) agents_->BeginShutdown();
}

void Pools::SignalAll(int signal) {
  ForEach([&](WorkerPool& p) { p.SignalAll(signal); });
}

bool Pools::AllExited() const {
  return local_.AllExited() && (agents_ == nullptr || agents_->AllExited());
}

}  // namespace tq::daemon
