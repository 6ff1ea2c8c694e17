// Aligned text tables and the units the tq CLI's listings print (tq
// status, workers, functions, stats and top share them).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace tq::cli {

using Rows = std::vector<std::vector<std::string>>;

enum class Align {
  kLeft,          // every column left-aligned
  kNumbersRight,  // the first column left, the others right (figures line up)
};

// One line per row, each column as wide as its widest cell, two spaces
// apart; no trailing spaces.
std::vector<std::string> TableLines(const Rows& rows, Align align = Align::kLeft);
// Writes TableLines to stdout.
void PrintTable(const Rows& rows, Align align = Align::kLeft);

// "2024-05-01 12:00:00.123" in local time; "-" for 0.
std::string FormatTime(std::int64_t unix_ms);
// An uptime or age: "42s", "3m05s", "2h07m", "3d04h".
std::string FormatAge(std::chrono::milliseconds d);
// "3.5 MiB".
std::string FormatMiB(std::uint64_t bytes);
// A short duration with three significant digits: "85us", "1.23ms",
// "12.3ms", "1.20s", "2m03s"; "-" when `count` is 0 (no samples).
std::string FormatMicros(std::chrono::microseconds d, std::uint64_t count = 1);
// Events per second over `span`: "0.92"; "-" for an empty span.
std::string FormatRate(std::uint64_t events, std::chrono::milliseconds span);

}  // namespace tq::cli
