// WaitTable: the requests that wait in tqd's object store (a blocking queue
// get or put, a lock or semaphore acquire, an event wait), each with its
// deadline. The loop never blocks on one: it polls no longer than the
// earliest deadline and answers what expired (ObjectStore::RunExpired).
//
// Indexed by id, by deadline, by connection (to count them against the
// per-connection limit and drop them when it goes) and by task. Pure data;
// not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/clock.h"
#include "tq/proto/messages.h"

namespace tq::daemon::objects {

class Object;

// Who made a request, and where its reply goes.
struct Caller {
  std::string client;            // ZeroMQ routing id
  std::uint64_t request_id = 0;
  std::uint64_t task_id = 0;     // the task it was made for; 0: none
};

using WaitId = std::uint64_t;

struct Waiter {
  Caller caller;
  proto::ObjectOp op = proto::ObjectOp::kGet;
  std::string value;        // a put's item, held while it waits
  std::uint64_t count = 0;  // get_many: most items
  std::optional<base::TimePoint> deadline;  // none: waits without limit
  std::uint64_t waited_ms = 0;              // its timeout, for sentences
  Object* object = nullptr;                 // what it waits on
};

class WaitTable {
 public:
  WaitId Add(Waiter w);
  bool Contains(WaitId id) const { return waiters_.contains(id); }
  // Removes and returns the waiter `id`, which must be here.
  Waiter Take(WaitId id);

  // The earliest deadline, if any waiter has one.
  std::optional<base::TimePoint> NextDeadline() const;
  // Ids whose deadline is at or before `now`, earliest first.
  std::vector<WaitId> Expired(base::TimePoint now) const;
  // Ids of a connection's / a task's waiters.
  std::vector<WaitId> OfClient(std::string_view client) const;
  std::vector<WaitId> OfTask(std::uint64_t task_id) const;
  std::size_t CountFor(std::string_view client) const;
  std::size_t size() const { return waiters_.size(); }

 private:
  std::unordered_map<WaitId, Waiter> waiters_;
  std::set<std::pair<base::TimePoint, WaitId>> deadlines_;
  std::map<std::string, std::set<WaitId>, std::less<>> by_client_;
  std::unordered_map<std::uint64_t, std::set<WaitId>> by_task_;
  WaitId next_id_ = 1;
};

}  // namespace tq::daemon::objects
