// DurationHistogram: a distribution of durations in fixed memory, for the
// queue-wait and run-time figures of `tq stats` and /metrics.
//
// It keeps two sets of counters, because the two readers want different
// things. Percentiles come from log-linear buckets (HdrHistogram's
// layout): microseconds counted exactly below 16 us, then 16 buckets per
// power of two up to 2^36 us (19 hours; longer durations share the last
// bucket). A percentile is reported as its bucket's midpoint, so within
// 1/32 (3.1%) of the true value; count, sum and max are exact. Prometheus
// wants cumulative counts at round bounds (le="0.005"), which no power of
// two hits, so those are counted apart, at the bounds of kBucketBounds.
// About 4.4 KiB whatever the number of samples. Not thread-safe.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tq/proto/messages.h"

namespace tq::daemon {

// A bucket bound of the Prometheus histograms: in us, and as `le` writes it.
struct BucketBound {
  std::uint64_t le_us;
  std::string_view le;
};
// From 100 us (a quick task's whole round trip) to an hour.
inline constexpr BucketBound kBucketBounds[] = {
    {100, "0.0001"},        {250, "0.00025"},      {500, "0.0005"},
    {1000, "0.001"},        {2500, "0.0025"},      {5000, "0.005"},
    {10000, "0.01"},        {25000, "0.025"},      {50000, "0.05"},
    {100000, "0.1"},        {250000, "0.25"},      {500000, "0.5"},
    {1000000, "1"},         {2500000, "2.5"},      {5000000, "5"},
    {10000000, "10"},       {30000000, "30"},      {60000000, "60"},
    {300000000, "300"},     {900000000, "900"},    {3600000000, "3600"},
};
inline constexpr std::size_t kBucketBoundCount = std::size(kBucketBounds);

class DurationHistogram {
 public:
  // Negative durations count as 0.
  void Record(std::chrono::microseconds d);
  // Adds other's samples to these.
  void Add(const DurationHistogram& other);
  void Clear() { *this = DurationHistogram(); }

  std::uint64_t count() const { return count_; }
  std::uint64_t sum_us() const { return sum_us_; }
  std::uint64_t max_us() const { return max_us_; }
  // The smallest recorded value v such that a fraction q (0 < q <= 1) of
  // the samples is at most v, within the bucket's precision (exact for
  // q = 1, the max); 0 when empty.
  std::uint64_t Quantile(double q) const;
  // count, sum, p50, p90, p99, max.
  proto::DurationStats Summary() const;
  // Samples at most kBucketBounds[i].le_us, for i < kBucketBoundCount, not
  // cumulative; the last entry counts those above every bound.
  const std::array<std::uint64_t, kBucketBoundCount + 1>& bound_counts() const {
    return bound_counts_;
  }

  // The layout of the percentile buckets, for tests.
  static constexpr std::size_t kBuckets = 16 + (36 - 4) * 16;
  static std::size_t BucketOf(std::uint64_t us);
  static std::uint64_t MidpointOf(std::size_t bucket);

 private:
  std::array<std::uint64_t, kBuckets> buckets_{};
  std::array<std::uint64_t, kBucketBoundCount + 1> bound_counts_{};
  std::uint64_t count_ = 0;
  std::uint64_t sum_us_ = 0;
  std::uint64_t max_us_ = 0;
};

}  // namespace tq::daemon
