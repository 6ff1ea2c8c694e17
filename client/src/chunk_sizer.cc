// ChunkSizer (tq/chunk_sizer.h).
#include "tq/chunk_sizer.h"

#include <algorithm>

namespace tq::detail {

namespace {

constexpr std::size_t kChunksPerWindow = 8;
constexpr std::size_t kProbeTasks = 2;
constexpr std::size_t kTasksPerWorker = 4;
constexpr std::size_t kMaxGrowth = 4;  // per report, so one burst cannot overshoot

}  // namespace

ChunkSizer::ChunkSizer(std::size_t window) : window_(std::max<std::size_t>(window, 1)) {}

void ChunkSizer::SetWorkers(std::size_t workers) { workers_ = std::max<std::size_t>(workers, 1); }

std::size_t ChunkSizer::Next(std::size_t remaining) const {
  if (remaining <= 1 || reports_.empty()) return 1;
  std::size_t size = kMaxChunk;
  const std::chrono::nanoseconds per = per_item();
  if (per.count() > 0) {
    size = static_cast<std::size_t>(
        std::min(std::chrono::duration<double>(kTarget) / std::chrono::duration<double>(per),
                 double{kMaxChunk}));
  }
  size = std::min(size, kMaxGrowth * reports_.back().count);
  size = std::min(size, window_ / kChunksPerWindow);
  // Rounded up, so that the last few inputs still go out as one chunk each.
  size = std::min(size, (remaining + 2 * workers_ - 1) / (2 * workers_));
  return std::clamp<std::size_t>(size, 1, remaining);
}

std::size_t ChunkSizer::MaxTasksInFlight() const {
  if (reports_.empty()) return kProbeTasks;
  return kTasksPerWorker * workers_;
}

void ChunkSizer::Finished(std::size_t count, TimePoint submitted, TimePoint finished) {
  if (reports_.empty()) {
    first_latency_ = std::max(std::chrono::nanoseconds{0}, finished - submitted);
  }
  reports_.push_back({count, finished});
  if (reports_.size() > kReports) reports_.pop_front();
}

std::chrono::nanoseconds ChunkSizer::per_item() const {
  if (reports_.empty()) return std::chrono::nanoseconds{0};
  if (reports_.size() == 1) {
    return first_latency_ / static_cast<std::int64_t>(std::max<std::size_t>(reports_[0].count, 1));
  }
  // The pool's pace over the recent reports: W workers together finished
  // `items` inputs (the first report's only mark when the span starts).
  std::size_t items = 0;
  for (std::size_t i = 1; i < reports_.size(); ++i) items += reports_[i].count;
  const std::chrono::nanoseconds span = reports_.back().finished - reports_.front().finished;
  return span * static_cast<std::int64_t>(workers_) /
         static_cast<std::int64_t>(std::max<std::size_t>(items, 1));
}

}  // namespace tq::detail
