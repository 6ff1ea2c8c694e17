// TaskGroup: the calls of one tq::Pool.
#include <mutex>
#include <vector>

#include "tq/raw_client.h"

namespace tq {

struct TaskGroup::Impl {
  mutable std::mutex mu;
  std::vector<RawResult> calls;  // guarded by mu; ended ones pruned now and then
  std::size_t kept_after_prune = 0;
  bool cancelled = false;  // CancelAll was called: later calls are cancelled too
};

TaskGroup::TaskGroup() : impl_(std::make_shared<Impl>()) {}

void TaskGroup::Add(const RawResult& call) {
  std::unique_lock lock(impl_->mu);
  if (impl_->cancelled) {
    lock.unlock();
    (void)call.cancel();  // submitted by a map that was still filling its window
  }
  if (!lock.owns_lock()) lock.lock();
  std::vector<RawResult>& calls = impl_->calls;
  // Pruned when it has doubled since the last time: a map over a million
  // inputs keeps only what is in flight.
  if (calls.size() >= 64 && calls.size() >= 2 * impl_->kept_after_prune) {
    std::erase_if(calls, [](const RawResult& c) { return c.ready(); });
    impl_->kept_after_prune = calls.size();
  }
  calls.push_back(call);
}

std::size_t TaskGroup::CancelAll() {
  std::vector<RawResult> calls;
  {
    std::lock_guard lock(impl_->mu);
    impl_->cancelled = true;
    calls = impl_->calls;
  }
  std::size_t asked = 0;
  for (const RawResult& c : calls) {
    if (c.cancel()) ++asked;
  }
  for (const RawResult& c : calls) c.wait();
  return asked;
}

void TaskGroup::WaitAll() {
  std::vector<RawResult> calls;
  {
    std::lock_guard lock(impl_->mu);
    calls = impl_->calls;
  }
  for (const RawResult& c : calls) c.wait();
}

std::size_t TaskGroup::unfinished() const {
  std::lock_guard lock(impl_->mu);
  std::size_t n = 0;
  for (const RawResult& c : impl_->calls) n += c.ready() ? 0 : 1;
  return n;
}

}  // namespace tq
