// What /proc and the memory cgroup say about a process: its RSS, and
// whether the kernel's OOM killer has struck. Reads only; no policy.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

namespace tq::daemon {

// Resident set size of `pid` in bytes; 0 if it cannot be read.
std::uint64_t ReadRssBytes(pid_t pid);

// Counts OOM kills in a memory cgroup: v2 memory.events "oom_kill N" or
// v1 memory.oom_control "oom_kill N".
class OomCounter {
 public:
  // The memory cgroup this process belongs to, found via /proc/self/cgroup.
  static OomCounter ForSelf();
  // A counter over an explicit file (tests use a temp file).
  explicit OomCounter(std::string path) : path_(std::move(path)) {}

  // The current count, or nullopt if unavailable.
  std::optional<std::uint64_t> Read() const;
  // True if the count went up since the last call (the first call only
  // records it).
  bool IncreasedSinceLastCheck();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::optional<std::uint64_t> last_;
};

// Where a program is on $PATH, or "" if nowhere.
std::string FindOnPath(const std::string& name);

}  // namespace tq::daemon
