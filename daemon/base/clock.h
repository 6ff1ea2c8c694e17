// Clock: the supervisor's notion of now, injectable so that pure logic
// (scheduling, deadlines, backoff) is tested with a fake clock.
#pragma once

#include <chrono>

namespace tq::base {

using TimePoint = std::chrono::steady_clock::time_point;
using Duration = std::chrono::steady_clock::duration;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;
};

class SteadyClock final : public Clock {
 public:
  TimePoint Now() const override { return std::chrono::steady_clock::now(); }
};

}  // namespace tq::base
