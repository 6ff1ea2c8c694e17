// DurationHistogram.
#include "duration_histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace tq::daemon {
namespace {

constexpr int kSubBits = 4;  // 16 buckets per power of two
constexpr std::uint64_t kLinear = 1u << kSubBits;
constexpr int kTopExponent = 36;  // 2^36 us: beyond it, the last bucket

}  // namespace

std::size_t DurationHistogram::BucketOf(std::uint64_t us) {
  if (us < kLinear) return static_cast<std::size_t>(us);
  const int e = std::bit_width(us) - 1;  // us is in [2^e, 2^(e+1))
  if (e >= kTopExponent) return kBuckets - 1;
  const std::uint64_t sub = (us >> (e - kSubBits)) & (kLinear - 1);
  return static_cast<std::size_t>(kLinear + static_cast<std::uint64_t>(e - kSubBits) * kLinear +
                                  sub);
}

std::uint64_t DurationHistogram::MidpointOf(std::size_t bucket) {
  if (bucket < kLinear) return bucket;
  const std::size_t above = bucket - kLinear;
  const int shift = static_cast<int>(above / kLinear);  // e - kSubBits
  const std::uint64_t lower = (kLinear + above % kLinear) << shift;
  return lower + ((std::uint64_t{1} << shift) >> 1);
}

void DurationHistogram::Record(std::chrono::microseconds d) {
  const std::uint64_t us = d.count() > 0 ? static_cast<std::uint64_t>(d.count()) : 0;
  ++buckets_[BucketOf(us)];
  const auto bound = std::lower_bound(
      std::begin(kBucketBounds), std::end(kBucketBounds), us,
      [](const BucketBound& b, std::uint64_t v) { return b.le_us < v; });
  ++bound_counts_[static_cast<std::size_t>(bound - std::begin(kBucketBounds))];
  ++count_;
  sum_us_ += us;
  max_us_ = std::max(max_us_, us);
}

void DurationHistogram::Add(const DurationHistogram& other) {
  for (std::size_t i = 0; i < kBuckets; ++i) buckets_[i] += other.buckets_[i];
  for (std::size_t i = 0; i < bound_counts_.size(); ++i) {
    bound_counts_[i] += other.bound_counts_[i];
  }
  count_ += other.count_;
  sum_us_ += other.sum_us_;
  max_us_ = std::max(max_us_, other.max_us_);
}

std::uint64_t DurationHistogram::Quantile(double q) const {
  if (count_ == 0) return 0;
  const double wanted = std::ceil(q * static_cast<double>(count_));
  const std::uint64_t rank =
      std::clamp<std::uint64_t>(wanted < 1 ? 1 : static_cast<std::uint64_t>(wanted), 1, count_);
  if (rank == count_) return max_us_;
  std::uint64_t seen = 0;
  for (std::size_t b = 0; b < kBuckets; ++b) {
    seen += buckets_[b];
    if (seen >= rank) return std::min(MidpointOf(b), max_us_);
  }
  return max_us_;
}

proto::DurationStats DurationHistogram::Summary() const {
  return {.count = count_,
          .sum_us = sum_us_,
          .p50_us = Quantile(0.5),
          .p90_us = Quantile(0.9),
          .p99_us = Quantile(0.99),
          .max_us = max_us_};
}

}  // namespace tq::daemon
