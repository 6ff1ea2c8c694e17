// Waiter and WaiterList: the requests that get a task's RESULT when it
// ends. Almost every task has exactly one (its submitter), so the list
// keeps one inline and allocates only for a second (a duplicate keyed
// submit, a WAIT): a queued task then costs one allocation, not two.
// Not thread-safe; owned by its Task.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace tq::daemon {

// A request that gets the task's RESULT when the task ends: the submitter,
// a duplicate submit with the same key, or a WAIT.
struct Waiter {
  std::string client;  // ZeroMQ routing id
  std::uint64_t request_id = 0;
};

class WaiterList {
 public:
  WaiterList() = default;
  WaiterList(WaiterList&&) = default;
  WaiterList& operator=(WaiterList&&) = default;
  WaiterList(const WaiterList&) = delete;
  WaiterList& operator=(const WaiterList&) = delete;

  // In the order they were added.
  const Waiter* begin() const;
  const Waiter* end() const { return begin() + size(); }
  std::size_t size() const;
  bool empty() const { return size() == 0; }
  const Waiter& back() const { return *(end() - 1); }

  void push_back(Waiter w);
  // Removes the waiters `pred` is true of, keeping the others' order.
  template <typename Pred>
  void erase_if(Pred pred) {
    if (auto* one = std::get_if<Waiter>(&waiters_)) {
      if (pred(std::as_const(*one))) waiters_ = std::monostate{};
    } else if (auto* many = std::get_if<std::vector<Waiter>>(&waiters_)) {
      std::erase_if(*many, pred);
    }
  }
  // Removes every waiter and frees what they held.
  void clear() { waiters_ = std::monostate{}; }

 private:
  std::variant<std::monostate, Waiter, std::vector<Waiter>> waiters_;
};

}  // namespace tq::daemon
