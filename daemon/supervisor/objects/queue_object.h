// QueueObject: a named FIFO queue (multiprocessing.Queue) of msgpack
// values, with an optional capacity fixed by the request that creates it.
// put appends, or hands the item straight to the first parked getter; into
// a full queue it waits for room (timeout_ms; 0: fails QUEUE_FULL at once).
// get and get_many take from the front, or wait for an item (a timed-out
// get answers `timed_out`); each item reaches exactly one getter. Waiters
// are served first come, first served.
#pragma once

#include <cstdint>
#include <deque>
#include <string>

#include "object.h"

namespace tq::daemon::objects {

class QueueObject final : public Object {
 public:
  QueueObject(std::string name, std::uint64_t capacity)
      : Object(proto::ObjectType::kQueue, std::move(name)), capacity_(capacity) {}

  void Handle(Context& ctx, const proto::ObjectRequest& r) override;
  void TimedOut(Context& ctx, const Waiter& w) override;
  void Unpark(Context& ctx, WaitId id, const Waiter& w) override;
  void Drop(Context& ctx) override;
  bool Idle() const override { return items_.empty() && getters_.empty() && putters_.empty(); }

 private:
  bool Full() const { return capacity_ != 0 && items_.size() >= capacity_; }
  void Put(Context& ctx, const proto::ObjectRequest& r);
  void Get(Context& ctx, const proto::ObjectRequest& r);
  // Moves parked puts into the queue while it has room, answering each.
  void AdmitPutters(Context& ctx);

  std::uint64_t capacity_;  // 0: none
  std::deque<std::string> items_;
  std::deque<WaitId> getters_;  // parked get / get_many, in arrival order
  std::deque<WaitId> putters_;  // parked put, holding their item
};

}  // namespace tq::daemon::objects
