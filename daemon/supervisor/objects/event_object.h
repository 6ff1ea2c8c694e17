// EventObject: a named event (multiprocessing.Event): set wakes every
// waiter, and later waits return at once until clear; wait gives ok true
// when the event is set, false when its timeout ran out (timed_out).
#pragma once

#include <deque>
#include <string>

#include "object.h"

namespace tq::daemon::objects {

class EventObject final : public Object {
 public:
  explicit EventObject(std::string name) : Object(proto::ObjectType::kEvent, std::move(name)) {}

  void Handle(Context& ctx, const proto::ObjectRequest& r) override;
  void TimedOut(Context& ctx, const Waiter& w) override;
  void Unpark(Context& ctx, WaitId id, const Waiter& w) override;
  void Drop(Context& ctx) override;
  bool Idle() const override { return !set_ && waiters_.empty(); }

 private:
  bool set_ = false;
  std::deque<WaitId> waiters_;
};

}  // namespace tq::daemon::objects
