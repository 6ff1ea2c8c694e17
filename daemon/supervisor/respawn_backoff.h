// RespawnBackoff: how long a worker slot waits before its next worker,
// when its workers keep dying young on their own (a crash loop: a broken
// plugin, a bad environment). Pure logic.
//
// Each crash-loop death doubles the wait, from kFirst up to kMax; any other
// death (a task killed its worker, tqd stopped it, it lived long enough)
// resets it, and the next worker starts at once.
#pragma once

#include <algorithm>
#include <chrono>

#include "base/clock.h"

namespace tq::daemon {

class RespawnBackoff {
 public:
  static constexpr std::chrono::milliseconds kFirst{100};
  static constexpr std::chrono::milliseconds kMax{10000};

  // A worker of this slot died; returns how long to wait before the next.
  base::Duration AfterDeath(bool crash_loop) {
    if (!crash_loop) {
      streak_ = 0;
      return base::Duration{0};
    }
    ++streak_;
    return std::min<base::Duration>(kFirst * (1 << std::min(streak_ - 1, 7)), kMax);
  }
  void Reset() { streak_ = 0; }

 private:
  int streak_ = 0;  // consecutive crash-loop deaths
};

}  // namespace tq::daemon
