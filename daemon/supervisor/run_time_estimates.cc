// RunTimeEstimates.
#include "run_time_estimates.h"

namespace tq::daemon {

void RunTimeEstimates::Record(std::string_view fn, bool chunk, base::Duration ran) {
  Pair& p = by_fn_[fn];
  std::optional<base::Duration>& e = chunk ? p.chunk : p.single;
  // A weight of 1/4: a function that becomes slow stops being sent ahead
  // within a few runs, and one slow run among fast ones counts for little.
  e = e ? *e + (ran - *e) / 4 : ran;
}

std::optional<base::Duration> RunTimeEstimates::Estimate(std::string_view fn,
                                                         bool chunk) const {
  const auto it = by_fn_.find(fn);
  if (it == by_fn_.end()) return std::nullopt;
  return chunk ? it->second.chunk : it->second.single;
}

}  // namespace tq::daemon
