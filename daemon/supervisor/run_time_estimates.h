// RunTimeEstimates: how long each function's tasks take to run, as a
// moving average of what workers measured, so that tqd knows which tasks
// are short enough to send to a worker ahead of need (prefetch).
//
// An exponentially weighted average per function name, apart for chunks
// (a chunk runs the function once per item). A function nobody has seen
// finish has no estimate: it is never sent ahead. Pure logic; names must
// outlive the estimates (Task::fn views tqd's set of names, which never
// shrinks).
#pragma once

#include <optional>
#include <string_view>
#include <unordered_map>

#include "base/clock.h"

namespace tq::daemon {

class RunTimeEstimates {
 public:
  // One run of `fn` took `ran`.
  void Record(std::string_view fn, bool chunk, base::Duration ran);
  // The estimate of one run, if any run has been recorded.
  std::optional<base::Duration> Estimate(std::string_view fn, bool chunk) const;

 private:
  struct Pair {
    std::optional<base::Duration> single;
    std::optional<base::Duration> chunk;
  };
  std::unordered_map<std::string_view, Pair> by_fn_;
};

}  // namespace tq::daemon
