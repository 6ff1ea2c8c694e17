// ProgressBar.
#include "progress_bar.h"

#include <algorithm>
#include <cstdio>
#include <cstdint>

namespace tq::cli {

std::string Bar(double fraction, int width) {
  fraction = std::clamp(fraction, 0.0, 1.0);
  const int full = static_cast<int>(fraction * width + 0.5);
  std::string bar = "[";
  bar.append(static_cast<std::size_t>(full), '#');
  bar.append(static_cast<std::size_t>(width - full), '.');
  return bar += ']';
}

ProgressBar::ProgressBar(bool enabled)
    : enabled_(enabled), start_(std::chrono::steady_clock::now()) {}

void ProgressBar::Items(std::size_t done, std::size_t failed, std::size_t running,
                        std::optional<std::size_t> total, bool force) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (!force && now < next_draw_) return;
  next_draw_ = now + std::chrono::milliseconds(100);
  const double secs = std::chrono::duration<double>(now - start_).count();
  const double rate = secs > 0 ? static_cast<double>(done) / secs : 0;
  char buf[256];
  if (total && *total > 0) {
    const double left = rate > 0 ? static_cast<double>(*total - std::min(done, *total)) / rate : 0;
    std::snprintf(buf, sizeof buf, "%s %zu/%zu  failed %zu  running %zu  %.1f/s  ETA %.0fs",
                  Bar(static_cast<double>(done) / static_cast<double>(*total), 24).c_str(),
                  done, *total, failed, running, rate, left);
  } else {
    std::snprintf(buf, sizeof buf, "%zu done  failed %zu  running %zu  %.1f/s", done,
                  failed, running, rate);
  }
  Draw(buf);
}

void ProgressBar::Task(std::uint64_t task_id, double done, double total,
                       const std::string& message) {
  if (!enabled_) return;
  char buf[256];
  if (total > 0) {
    std::snprintf(buf, sizeof buf, "task %llu %s %3.0f%%  %.120s",
                  static_cast<unsigned long long>(task_id), Bar(done / total, 24).c_str(),
                  100.0 * std::min(done / total, 1.0), message.c_str());
  } else {
    std::snprintf(buf, sizeof buf, "task %llu  %g  %.120s",
                  static_cast<unsigned long long>(task_id), done, message.c_str());
  }
  Draw(buf);
}

void ProgressBar::Draw(const std::string& line) {
  line_ = line;
  std::fprintf(stderr, "\r\033[K%s", line_.c_str());
  std::fflush(stderr);
  shown_ = true;
}

void ProgressBar::Clear() {
  if (!enabled_ || !shown_) return;
  std::fputs("\r\033[K", stderr);
  std::fflush(stderr);
  shown_ = false;
}

void ProgressBar::Redraw() {
  if (enabled_ && !line_.empty()) Draw(line_);
}

}  // namespace tq::cli
