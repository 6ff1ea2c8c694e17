// Metrics.
#include "metrics.h"

#include <algorithm>

namespace tq::daemon {
namespace {

std::chrono::microseconds Us(base::Duration d) {
  return std::chrono::duration_cast<std::chrono::microseconds>(d);
}

std::uint64_t Ms(base::Duration d) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  return ms > 0 ? static_cast<std::uint64_t>(ms) : 0;
}

}  // namespace

// ---- NamedCounts -------------------------------------------------------------

NamedCounts::Row& NamedCounts::RowOf(std::string_view name) {
  if (auto it = rows_.find(name); it != rows_.end()) return it->second;
  // The overflow row "" does not count against the cap.
  const std::size_t named = rows_.size() - (rows_.contains(std::string_view()) ? 1 : 0);
  if (named >= cap_) return rows_[std::string()];
  return rows_.emplace(std::string(name), Row{}).first->second;
}

std::vector<proto::FunctionStats> NamedCounts::Rows() const {
  std::vector<proto::FunctionStats> out;
  out.reserve(rows_.size());
  for (const auto& [name, row] : rows_) out.push_back({name, row.submitted, row.ended});
  return out;
}

// ---- Metrics ---------------------------------------------------------------

Metrics::Metrics(const base::Clock& clock) : clock_(clock), start_(clock.Now()) {}

std::int64_t Metrics::SlotIndexNow() const {
  return static_cast<std::int64_t>((clock_.Now() - start_) / kSlot);
}

Metrics::Counts& Metrics::Now() {
  const std::int64_t index = SlotIndexNow();
  Slot& slot = slots_[static_cast<std::size_t>(index) % kSlots];
  if (slot.index != index) {
    slot.counts = Counts{};
    slot.index = index;
  }
  return slot.counts;
}

void Metrics::TaskSubmitted(std::string_view fn) {
  ++total_.submitted;
  ++Now().submitted;
  functions_.Submitted(fn);
}

void Metrics::TaskStarted(base::Duration queue_wait) {
  total_.queue_wait.Record(Us(queue_wait));
  Now().queue_wait.Record(Us(queue_wait));
}

void Metrics::AttemptEnded(base::Duration ran_for) {
  total_.run_time.Record(Us(ran_for));
  Now().run_time.Record(Us(ran_for));
}

void Metrics::TaskEnded(std::string_view fn, proto::TaskState state) {
  ++total_.ended[state];
  ++Now().ended[state];
  functions_.Ended(fn, state);
}

void Metrics::WorkerRestarted(proto::RestartCause cause) {
  const auto i = static_cast<std::size_t>(cause);
  ++total_.restarts[i];
  ++Now().restarts[i];
}

proto::WindowStats Metrics::Window(const Counts& c, base::Duration span) {
  return {.span_ms = Ms(span),
          .submitted = c.submitted,
          .ended = c.ended,
          .restarts = c.restarts,
          .queue_wait = c.queue_wait.Summary(),
          .run_time = c.run_time.Summary()};
}

proto::WindowStats Metrics::SinceStart() const {
  return Window(total_, clock_.Now() - start_);
}

proto::WindowStats Metrics::LastMinute() const {
  const std::int64_t now = SlotIndexNow();
  const std::int64_t first = std::max<std::int64_t>(0, now - std::int64_t{kSlots} + 1);
  Counts sum;
  for (const Slot& slot : slots_) {
    if (slot.index < first || slot.index > now) continue;  // never used, or too old
    const Counts& c = slot.counts;
    sum.submitted += c.submitted;
    for (const proto::TaskState s : proto::kFinalStates) sum.ended[s] += c.ended[s];
    for (std::size_t i = 0; i < proto::kRestartCauses; ++i) sum.restarts[i] += c.restarts[i];
    sum.queue_wait.Add(c.queue_wait);
    sum.run_time.Add(c.run_time);
  }
  return Window(sum, clock_.Now() - (start_ + first * kSlot));
}

}  // namespace tq::daemon
