// InFlightLimit.
#include "in_flight_limit.h"

namespace tq::detail {

void InFlightLimit::Acquire() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return held_ < max_; });
  ++held_;
}

void InFlightLimit::Release() {
  {
    std::lock_guard lock(mu_);
    --held_;
  }
  cv_.notify_one();
}

std::size_t InFlightLimit::held() const {
  std::lock_guard lock(mu_);
  return held_;
}

}  // namespace tq::detail
