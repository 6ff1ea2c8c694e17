// WaitFor: polls a predicate until it holds or a deadline passes. Tests use
// it instead of sleeping; the deadline is generous because CI machines are
// noisy, and only failure waits that long.
//
// When it gives up it says so on stderr, with what it waited for: the
// `what` given, and always the file and line of the call (whose predicate
// is the thing awaited), so a failure reads "gave up after 20000 ms
// waiting for the pool to be whole (supervision_test.cc:38)".
#pragma once

#include <chrono>
#include <cstdio>
#include <source_location>
#include <string_view>
#include <thread>

namespace tq::testing {

template <typename Pred>
bool WaitFor(std::string_view what, Pred&& pred,
             std::chrono::milliseconds deadline = std::chrono::seconds(20),
             std::source_location where = std::source_location::current()) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= until) {
      if (pred()) return true;
      std::fprintf(stderr, "WaitFor gave up after %lld ms waiting for %.*s (%s:%u)\n",
                   static_cast<long long>(deadline.count()),
                   static_cast<int>(what.size()), what.data(), where.file_name(),
                   static_cast<unsigned>(where.line()));
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

template <typename Pred>
bool WaitFor(Pred&& pred, std::chrono::milliseconds deadline = std::chrono::seconds(20),
             std::source_location where = std::source_location::current()) {
  return WaitFor("the condition", std::forward<Pred>(pred), deadline, where);
}

}  // namespace tq::testing
