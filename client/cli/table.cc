// Tables and units.
#include "table.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <iostream>

namespace tq::cli {
namespace {

// Display columns: code points, counting UTF-8 continuation bytes out.
std::size_t Width(const std::string& s) {
  return static_cast<std::size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xc0) != 0x80; }));
}

}  // namespace

std::vector<std::string> TableLines(const Rows& rows, Align align) {
  std::vector<std::size_t> width;
  for (const auto& row : rows) {
    if (width.size() < row.size()) width.resize(row.size());
    for (std::size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], Width(row[i]));
  }
  std::vector<std::string> lines;
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      const std::string pad(width[i] - Width(row[i]), ' ');
      const bool right = align == Align::kNumbersRight && i > 0;
      line += right ? pad + row[i] : row[i];
      if (i + 1 < row.size()) line += (right ? "" : pad) + "  ";
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    lines.push_back(std::move(line));
  }
  return lines;
}

void PrintTable(const Rows& rows, Align align) {
  for (const std::string& line : TableLines(rows, align)) std::cout << line << "\n";
}

std::string FormatTime(std::int64_t unix_ms) {
  if (unix_ms == 0) return "-";
  const std::time_t secs = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  localtime_r(&secs, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  char out[80];
  std::snprintf(out, sizeof out, "%s.%03d", buf, static_cast<int>(unix_ms % 1000));
  return out;
}

std::string FormatAge(std::chrono::milliseconds d) {
  const auto s = static_cast<unsigned long long>(std::max<std::int64_t>(0, d.count()) / 1000);
  char buf[32];
  if (s < 60) {
    std::snprintf(buf, sizeof buf, "%llus", s);
  } else if (s < 3600) {
    std::snprintf(buf, sizeof buf, "%llum%02llus", s / 60, s % 60);
  } else if (s < 86400) {
    std::snprintf(buf, sizeof buf, "%lluh%02llum", s / 3600, s / 60 % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%llud%02lluh", s / 86400, s / 3600 % 24);
  }
  return buf;
}

std::string FormatMiB(std::uint64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(bytes) / (1 << 20));
  return buf;
}

std::string FormatMicros(std::chrono::microseconds d, std::uint64_t count) {
  if (count == 0) return "-";
  const double us = static_cast<double>(d.count());
  char buf[32];
  if (us < 1000) {
    std::snprintf(buf, sizeof buf, "%.0fus", us);
  } else if (us < 10e3) {
    std::snprintf(buf, sizeof buf, "%.2fms", us / 1e3);
  } else if (us < 100e3) {
    std::snprintf(buf, sizeof buf, "%.1fms", us / 1e3);
  } else if (us < 1e6) {
    std::snprintf(buf, sizeof buf, "%.0fms", us / 1e3);
  } else if (us < 60e6) {
    std::snprintf(buf, sizeof buf, "%.2fs", us / 1e6);
  } else {
    return FormatAge(std::chrono::duration_cast<std::chrono::milliseconds>(d));
  }
  return buf;
}

std::string FormatRate(std::uint64_t events, std::chrono::milliseconds span) {
  if (span.count() <= 0) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f",
                static_cast<double>(events) * 1000 / static_cast<double>(span.count()));
  return buf;
}

}  // namespace tq::cli
