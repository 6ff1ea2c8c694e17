// ChunkSizer: how many inputs an auto-chunked map (MapOptions::chunksize
// 0) puts in its next task, from the time its finished chunks took. Pure
// logic: the caller reads the clock and passes the times in. Not
// thread-safe; one per map, used by the thread that drives the map.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>

#include "tq/export.h"

namespace tq::detail {

class TQ_EXPORT ChunkSizer {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  // Work a chunk should hold: enough that the per-task cost (a round trip
  // through tqd, some tens of µs) is a small part of it, little enough
  // that the workers finish together and imap hands items out steadily.
  static constexpr std::chrono::microseconds kTarget{3000};
  // The most inputs a chunk ever holds (bench: more gains nothing).
  static constexpr std::size_t kMaxChunk = 8192;

  // `window`: the most inputs the map keeps in flight (>= 1).
  explicit ChunkSizer(std::size_t window);
  ChunkSizer(const ChunkSizer&) = default;
  ChunkSizer& operator=(const ChunkSizer&) = default;

  // How many workers tqd runs, once known (1 until then; 0 counts as 1).
  void SetWorkers(std::size_t workers);

  // The size of the next chunk when `remaining` inputs are left to submit
  // (>= 1): 1 until a chunk has been measured; then kTarget of work at the
  // measured time per input, at most 4 times the latest chunk, kMaxChunk,
  // window / 8 (several chunks run side by side) and remaining / (2 x
  // workers) (the last chunks shrink so that every worker ends at about
  // the same time); and never more than `remaining`.
  std::size_t Next(std::size_t remaining) const;

  // The most tasks the map should keep in flight: a couple while nothing
  // is measured (so the first, one-input chunks do not flood tqd before
  // their time is known), then a few per worker, enough to keep each busy.
  std::size_t MaxTasksInFlight() const;

  // A chunk of `count` inputs, submitted at `submitted`, reported done at
  // `finished`. Reports come in the order they arrived; `finished` never
  // decreases.
  void Finished(std::size_t count, TimePoint submitted, TimePoint finished);

  // Measured time per input and worker, the fixed cost per task included
  // (0 until a chunk has been measured): the first chunk's round trip; then
  // the pace of the recent reports, W workers x their span / the inputs
  // they brought. Waiting in tqd's queue does not count, as it would in
  // each chunk's own round trip; a worker busy for another client does
  // (the sizes come out smaller, never larger). While chunks are small,
  // their fixed cost makes inputs look slower than they are; the sizes
  // then grow by up to 4x a report until it is spread thin.
  std::chrono::nanoseconds per_item() const;

 private:
  struct Report {
    std::size_t count;
    TimePoint finished;
  };
  // How many recent reports the pace is taken over.
  static constexpr std::size_t kReports = 8;

  std::size_t window_;
  std::size_t workers_ = 1;
  std::deque<Report> reports_;  // at most kReports, oldest first
  std::chrono::nanoseconds first_latency_{0};
};

}  // namespace tq::detail
