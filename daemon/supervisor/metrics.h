// Metrics: what tqd counts about its tasks and workers, for `tq stats`,
// `tq top` and Prometheus. Pure logic: the supervisor reports a handful of
// events, time comes from the Clock, and nothing here does I/O.
//
// Two views of the same events: since tqd started, and over the last
// minute. The last minute is a ring of 10-second slots, the current one
// and the six before it, each with its own counters and histograms; a slot
// is cleared when time comes round to it again (lazily, on the next event
// or reading). So the minute is 60 to 70 s long (less in tqd's first
// minute), and readers divide by the span they are told, never by 60.
// Slots of a second would make the window exact to the second at ten times
// the memory (each slot holds two 4.4 KiB histograms) and ten times the
// work per reading, for rates and percentiles that do not need it.
//
// Memory is fixed: two histograms since start and two per slot (16 of
// 4.4 KiB, about 70 KiB), and at most
// kMaxFunctions rows of per-function counts (the functions are bounded by
// what workers offer, but a plugin may offer thousands); the functions
// beyond it are counted together under the name "", which no function
// has. The per-function table is a NamedCounts, so a per-user one (the
// submitting uid, once tasks carry it) is a second instance of it.
//
// Single-threaded, like the supervisor that owns it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "duration_histogram.h"
#include "tq/proto/messages.h"

namespace tq::daemon {

// Submitted and ended counts by name, for at most `cap` names; the rest
// are counted together under "".
class NamedCounts {
 public:
  struct Row {
    std::uint64_t submitted = 0;
    proto::EndedCounts ended;
  };

  explicit NamedCounts(std::size_t cap) : cap_(cap) {}

  void Submitted(std::string_view name) { ++RowOf(name).submitted; }
  void Ended(std::string_view name, proto::TaskState state) { ++RowOf(name).ended[state]; }

  // By name, "" (the overflow) first when it has counts. The views last
  // until the next Submitted or Ended.
  std::vector<proto::FunctionStats> Rows() const;

 private:
  Row& RowOf(std::string_view name);

  std::size_t cap_;
  std::map<std::string, Row, std::less<>> rows_;  // at most cap_ + 1, with ""
};

class Metrics {
 public:
  static constexpr base::Duration kSlot = std::chrono::seconds(10);
  static constexpr std::size_t kSlots = 7;  // the current slot and 6 before it
  static constexpr std::size_t kMaxFunctions = 256;

  // `clock` must outlive this; tqd's start is its Now().
  explicit Metrics(const base::Clock& clock);

  // ---- the supervisor's reports
  // A new task was accepted (not a duplicate submit of a known key).
  void TaskSubmitted(std::string_view fn);
  // An attempt went to a worker `queue_wait` after it could run (its
  // submit, delay or retry backoff).
  void TaskStarted(base::Duration queue_wait);
  // An attempt's outcome came `ran_for` after it started (a value, an
  // error, a death, a timeout, a cancel), retried or not.
  void AttemptEnded(base::Duration ran_for);
  // The task reached a final state.
  void TaskEnded(std::string_view fn, proto::TaskState state);
  // A worker process ended, other than by being retired.
  void WorkerRestarted(proto::RestartCause cause);

  // ---- readings
  // span_ms is the uptime.
  proto::WindowStats SinceStart() const;
  // span_ms is how far back the window reaches.
  proto::WindowStats LastMinute() const;
  // Views valid until the next report.
  std::vector<proto::FunctionStats> Functions() const { return functions_.Rows(); }
  // For Prometheus' histograms: since start.
  const DurationHistogram& queue_wait() const { return total_.queue_wait; }
  const DurationHistogram& run_time() const { return total_.run_time; }

 private:
  struct Counts {
    std::uint64_t submitted = 0;
    proto::EndedCounts ended;
    proto::RestartCounts restarts{};
    DurationHistogram queue_wait;
    DurationHistogram run_time;
  };
  struct Slot {
    std::int64_t index = -1;  // of 10 s since start; -1: never used
    Counts counts;
  };

  std::int64_t SlotIndexNow() const;
  // The current slot, cleared first if it last held an older one.
  Counts& Now();
  static proto::WindowStats Window(const Counts& c, base::Duration span);

  const base::Clock& clock_;
  const base::TimePoint start_;
  Counts total_;
  std::array<Slot, kSlots> slots_;
  NamedCounts functions_{kMaxFunctions};
};

}  // namespace tq::daemon
