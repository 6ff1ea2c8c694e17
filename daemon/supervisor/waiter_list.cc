// WaiterList (waiter_list.h).
#include "waiter_list.h"

#include <utility>

namespace tq::daemon {

const Waiter* WaiterList::begin() const {
  if (const auto* one = std::get_if<Waiter>(&waiters_)) return one;
  if (const auto* many = std::get_if<std::vector<Waiter>>(&waiters_)) return many->data();
  return nullptr;
}

std::size_t WaiterList::size() const {
  if (std::holds_alternative<Waiter>(waiters_)) return 1;
  if (const auto* many = std::get_if<std::vector<Waiter>>(&waiters_)) return many->size();
  return 0;
}

void WaiterList::push_back(Waiter w) {
  if (std::holds_alternative<std::monostate>(waiters_)) {
    waiters_ = std::move(w);
  } else if (auto* one = std::get_if<Waiter>(&waiters_)) {
    std::vector<Waiter> many;
    many.reserve(2);
    many.push_back(std::move(*one));
    many.push_back(std::move(w));
    waiters_ = std::move(many);
  } else {
    std::get<std::vector<Waiter>>(waiters_).push_back(std::move(w));
  }
}

}  // namespace tq::daemon
