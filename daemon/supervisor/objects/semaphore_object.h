// SemaphoreObject: a named counting semaphore (multiprocessing.Semaphore),
// its initial value fixed by the request that creates it (default 1).
// acquire takes a permit or waits (timeout_ms; 0: ok false at once);
// release gives one back and wakes the first waiter. As in Python anyone
// may release; permits are counted per holder, so those of a connection or
// task that ends are given back for it. value is the permits free now.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "object.h"

namespace tq::daemon::objects {

class SemaphoreObject final : public Object {
 public:
  SemaphoreObject(std::string name, std::uint64_t initial)
      : Object(proto::ObjectType::kSemaphore, std::move(name)),
        initial_(initial),
        value_(initial) {}

  void Handle(Context& ctx, const proto::ObjectRequest& r) override;
  void TimedOut(Context& ctx, const Waiter& w) override;
  void Unpark(Context& ctx, WaitId id, const Waiter& w) override;
  void Release(Context& ctx, const std::function<bool(const Owner&)>& gone) override;
  void Drop(Context& ctx) override;
  bool Idle() const override {
    return value_ == initial_ && holders_.empty() && waiters_.empty();
  }

 private:
  // Gives free permits to waiters, first come first served.
  void Wake(Context& ctx);
  void Grant(Context& ctx, const Owner& owner);

  std::uint64_t initial_;
  std::uint64_t value_;  // permits free
  std::vector<std::pair<Owner, std::uint64_t>> holders_;  // permits each holds
  std::deque<WaitId> waiters_;
};

}  // namespace tq::daemon::objects
