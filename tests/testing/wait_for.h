// WaitFor: polls a predicate until it holds or a deadline passes. Tests use
// it instead of sleeping; the deadline is generous because CI machines are
// noisy, and only failure waits that long.
#pragma once

#include <chrono>
#include <thread>

namespace tq::testing {

template <typename Pred>
bool WaitFor(Pred&& pred,
             std::chrono::milliseconds deadline = std::chrono::seconds(20)) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= until) return pred();
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

}  // namespace tq::testing
