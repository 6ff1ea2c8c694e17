// ProgressBar: one line on stderr, redrawn in place, for tq map and
// tq submit --wait on a terminal. Disabled (prints nothing at all) when
// stderr is not a TTY unless forced, so logs and pipes get no control
// characters. Not thread-safe: the CLI's main thread draws.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>

namespace tq::cli {

class ProgressBar {
 public:
  // enabled: draw at all (the caller decides: isatty(2), --progress,
  // --no-progress).
  explicit ProgressBar(bool enabled);
  ~ProgressBar() { Clear(); }

  bool enabled() const { return enabled_; }

  // A map's progress: items done (failed among them), in flight, and the
  // total once known. Redraws at most every 100 ms unless `force`.
  void Items(std::size_t done, std::size_t failed, std::size_t running,
             std::optional<std::size_t> total, bool force = false);
  // One task's own progress (tq::progress in the task).
  void Task(std::uint64_t task_id, double done, double total,
            const std::string& message);
  // Erases the line (before other output is written to the terminal).
  void Clear();
  // Draws the last line again after Clear().
  void Redraw();

 private:
  void Draw(const std::string& line);

  bool enabled_;
  bool shown_ = false;
  std::string line_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point next_draw_{};
};

// "[#######.............]" for a fraction in [0, 1].
std::string Bar(double fraction, int width);

}  // namespace tq::cli
