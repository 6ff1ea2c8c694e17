// ObjectStore: tqd's named objects (multiprocessing's Manager, as a
// service): dicts, lists, queues, locks, semaphores and events, each kind
// with its own names, created by the first request that changes one.
//
// Every request is carried out at once and atomically, in tqd's loop: one
// round trip per call. A request that must wait (a get from an empty
// queue, a put into a full one, an acquire, an event wait) is parked in
// the WaitTable with its deadline and answered when it can be served or
// its time runs out (RunExpired); the loop never blocks, and polls no
// longer than NextDeadline(). A connection that goes leaves nothing
// behind: its parked requests vanish and what it holds is released
// (ClientGone); likewise for a task whose attempt ends (TaskEnded). A lock
// released that way goes to its next waiter, told `broken`.
//
// Bounded: objects in all (max_objects), bytes per object and in all, and
// parked requests per connection, each with a named error (OBJECT_FULL,
// TOO_MANY_WAITING). Objects are in memory only: they are gone when tqd
// stops. (The request carries nothing about durability yet; a durable
// flag would select objects the store also writes through, as durable
// tasks are.)
//
// Pure logic: time comes in as arguments, answers go to the ReplySink, so
// it is tested without sockets and with a fake clock. Not thread-safe.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/clock.h"
#include "object.h"
#include "object_limits.h"
#include "tq/proto/messages.h"
#include "wait_table.h"

namespace tq::daemon::objects {

class ObjectStore {
 public:
  // `sink` must outlive the store.
  ObjectStore(ObjectLimits limits, ReplySink& sink) : limits_(limits), sink_(sink) {}
  ObjectStore(const ObjectStore&) = delete;
  ObjectStore& operator=(const ObjectStore&) = delete;

  void set_limits(ObjectLimits limits) { limits_ = limits; }
  const ObjectLimits& limits() const { return limits_; }

  // Carries out `r` for `caller`: answers it through the sink, now or when
  // it stops waiting.
  void Handle(const Caller& caller, const proto::ObjectRequest& r, base::TimePoint now);
  // Answers the parked requests whose deadline is at or before `now`.
  void RunExpired(base::TimePoint now);
  std::optional<base::TimePoint> NextDeadline() const { return waits_.NextDeadline(); }

  // The connection `client` is gone: its parked requests are dropped
  // unanswered, and its locks and permits are released.
  void ClientGone(std::string_view client, base::TimePoint now);
  // Task `task_id`'s attempt ended: its parked requests are answered
  // WRONG_STATE, its locks and permits released.
  void TaskEnded(std::uint64_t task_id, base::TimePoint now);

  std::size_t objects() const;
  std::size_t waiting() const { return waits_.size(); }
  std::size_t bytes() const { return bytes_; }

 private:
  friend class Context;
  using Names = std::map<std::string, std::unique_ptr<Object>, std::less<>>;

  Names& names(proto::ObjectType type) { return by_type_[static_cast<std::size_t>(type)]; }
  // Drops every parked request of `ids`; `error`, if set, answers each.
  void Unpark(const std::vector<WaitId>& ids, base::TimePoint now,
              const std::optional<proto::Status>& error);
  // Releases what the owners `gone` says have ended hold, in `held`'s objects.
  void ReleaseHeld(std::map<Object*, int> held, const Caller& as, base::TimePoint now,
                   const std::function<bool(const Owner&)>& gone);

  ObjectLimits limits_;
  ReplySink& sink_;
  std::array<Names, proto::kObjectTypes> by_type_;
  WaitTable waits_;
  std::size_t bytes_ = 0;
  // Who holds what (locks, permits): by connection and by task, with how
  // many holds of that object each has.
  std::map<std::string, std::map<Object*, int>, std::less<>> held_by_client_;
  std::unordered_map<std::uint64_t, std::map<Object*, int>> held_by_task_;
};

}  // namespace tq::daemon::objects
