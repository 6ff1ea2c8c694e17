// FakeClock: time that moves only when a test says so, for the pure logic
// that takes a base::Clock (the worker pool, deadlines, backoff).
#pragma once

#include "base/clock.h"

namespace tq::testing {

class FakeClock final : public base::Clock {
 public:
  base::TimePoint Now() const override { return now_; }
  void Advance(base::Duration d) { now_ += d; }

 private:
  base::TimePoint now_{std::chrono::hours(1000)};  // far from the epoch
};

}  // namespace tq::testing
