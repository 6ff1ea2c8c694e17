// InFlightLimit: a counting semaphore for ClientOptions::max_in_flight.
// Submit takes a slot before sending (blocking while none is free); the
// call gives it back when it ends, however it ends (CallState::Complete).
// Thread-safe. Internal to libtq.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <mutex>

namespace tq::detail {

class InFlightLimit {
 public:
  explicit InFlightLimit(std::size_t max) : max_(max) {}
  InFlightLimit(const InFlightLimit&) = delete;
  InFlightLimit& operator=(const InFlightLimit&) = delete;

  // Blocks until fewer than max slots are held, then holds one.
  void Acquire();
  // Gives back a slot that Acquire took.
  void Release();
  std::size_t held() const;

 private:
  const std::size_t max_;  // >= 1
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::size_t held_ = 0;  // guarded by mu_
};

}  // namespace tq::detail
