// TopScreen: what `tq top` shows, as lines of text for a screen of a given
// size. Pure (no terminal, no tqd), so the layout is tested on its own;
// top_command.cc draws the lines and keeps them fresh.
#pragma once

#include <string>
#include <vector>

#include "tq/raw_client.h"

namespace tq::cli {

struct TopView {
  std::string endpoint;
  std::string clock;  // "14:03:12", local time of the last refresh
  QueueStats stats;
  std::vector<WorkerStatus> workers;
  std::string error;  // why the last refresh failed; "" when it did not
};

// How many of the longest-running tasks the screen lists at most.
inline constexpr std::size_t kSlowestShown = 5;

// At most `rows` lines, each at most `cols` characters: a header with the
// queue, the rates and percentiles of the last minute, the counts since
// start and the worker restarts; then one line per worker (as many as fit,
// and how many did not); then the slowest running tasks.
std::vector<std::string> TopScreen(const TopView& view, int rows, int cols);

}  // namespace tq::cli
