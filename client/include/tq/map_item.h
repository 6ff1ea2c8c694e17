// MapItem: one input's outcome in a bulk call (imap, imap_unordered,
// map_items): its position, and its value or why it has none. Failed items
// do not stop the others: a loop over a map sees every input once.
//
//   for (auto& item : client.imap_unordered<Thumb>("thumbnail", jobs)) {
//     if (item.ok()) use(item.index, item.value());
//     else std::cerr << jobs[item.index] << ": " << item.error()->what() << "\n";
//   }
#pragma once

#include <cstddef>
#include <exception>
#include <optional>
#include <utility>

#include "tq/errors.h"

namespace tq {

template <typename R>
class MapItem {
 public:
  // The input's position in the range, from 0.
  std::size_t index = 0;

  static MapItem Value(std::size_t index, R value) {
    MapItem item(index);
    item.value_.emplace(std::move(value));
    return item;
  }
  // `e` holds a tq::Error; `error` is detail::ErrorIn(e), when known.
  static MapItem Failure(std::size_t index, std::exception_ptr e,
                         const Error* error = nullptr) {
    MapItem item(index);
    item.error_ = error != nullptr ? error : detail::ErrorIn(e);
    item.exception_ = std::move(e);
    return item;
  }

  bool ok() const { return value_.has_value(); }
  // The value. If the item failed, throws its error, as AsyncResult::get().
  R& value() & { Check(); return *value_; }
  const R& value() const& { Check(); return *value_; }
  R&& value() && { Check(); return std::move(*value_); }
  // Why it failed; nullptr if ok(). A RemoteError (the task threw, or its
  // worker died: type(), message(), state()), a ResultTypeError, a
  // ConnectionError... Valid as long as this item or a copy of it.
  const Error* error() const { return error_; }
  // The same error as an exception_ptr, to rethrow or keep; null if ok().
  const std::exception_ptr& exception() const { return exception_; }

 private:
  explicit MapItem(std::size_t i) : index(i) {}
  void Check() const {
    if (!value_) std::rethrow_exception(exception_);
  }

  std::optional<R> value_;
  std::exception_ptr exception_;
  const Error* error_ = nullptr;  // into exception_'s object
};

}  // namespace tq
