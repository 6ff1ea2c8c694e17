// LockObject: a named mutex (multiprocessing.Lock, Manager().Lock()).
// acquire takes it, or waits (timeout_ms; 0: answers ok false at once);
// only its holder may release it, which hands it to the first waiter. A
// holder whose connection or task ends releases it that way too, and the
// next holder is told `broken` (what it guarded may be half-done); with
// nobody waiting, the next acquire is. Not reentrant: an acquire by its
// holder fails WRONG_STATE instead of waiting for ever. value tells
// whether it is held.
#pragma once

#include <deque>
#include <optional>
#include <string>

#include "object.h"

namespace tq::daemon::objects {

class LockObject final : public Object {
 public:
  explicit LockObject(std::string name) : Object(proto::ObjectType::kLock, std::move(name)) {}

  void Handle(Context& ctx, const proto::ObjectRequest& r) override;
  void TimedOut(Context& ctx, const Waiter& w) override;
  void Unpark(Context& ctx, WaitId id, const Waiter& w) override;
  void Release(Context& ctx, const std::function<bool(const Owner&)>& gone) override;
  void Drop(Context& ctx) override;
  bool Idle() const override { return !holder_ && waiters_.empty() && !broken_; }

 private:
  // Gives the lock to the first waiter still parked, or frees it.
  void PassOn(Context& ctx, bool broken);

  std::optional<Owner> holder_;
  std::deque<WaitId> waiters_;
  bool broken_ = false;  // its last holder ended holding it; told to the next
};

}  // namespace tq::daemon::objects
