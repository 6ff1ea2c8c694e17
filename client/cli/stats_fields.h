// The counts of StateCounts and RestartCounts with the names tqd gives
// them on the wire (proto's TaskStateName and RestartCauseName), in tqd's
// order: the one list that every table, screen line and JSON object of
// tq stats, tq top and tq queue walks, so a state or cause is named once.
#pragma once

#include <cstdint>

#include "tq/raw_client.h"

namespace tq::cli {

template <typename Counts>
struct CountField {
  const char* name;
  std::uint64_t Counts::*count;
};

inline constexpr CountField<StateCounts> kStateCountFields[] = {
    {"done", &StateCounts::done},           {"failed", &StateCounts::failed},
    {"timed_out", &StateCounts::timed_out}, {"cancelled", &StateCounts::cancelled},
    {"lost", &StateCounts::lost},           {"buried", &StateCounts::buried}};

inline constexpr CountField<RestartCounts> kRestartCountFields[] = {
    {"exit", &RestartCounts::exit},         {"signal", &RestartCounts::signal},
    {"oom", &RestartCounts::oom},           {"protocol", &RestartCounts::protocol},
    {"recycled", &RestartCounts::recycled}, {"stopped", &RestartCounts::stopped}};

}  // namespace tq::cli
