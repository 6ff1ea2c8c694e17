// ReadRssBytes, OomCounter and FindOnPath.
#include "proc_stats.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace tq::daemon {

std::uint64_t ReadRssBytes(pid_t pid) {
  std::ifstream statm("/proc/" + std::to_string(pid) + "/statm");
  std::uint64_t size = 0, resident = 0;
  if (!(statm >> size >> resident)) return 0;
  return resident * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
}

OomCounter OomCounter::ForSelf() {
  std::ifstream cgroups("/proc/self/cgroup");
  std::string line, v2_path, v1_path;
  while (std::getline(cgroups, line)) {
    // "0::/path" (v2) or "4:memory:/path" (v1).
    const auto first = line.find(':');
    const auto second = line.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos) continue;
    const std::string controllers = line.substr(first + 1, second - first - 1);
    const std::string path = line.substr(second + 1);
    if (controllers.empty()) v2_path = path;
    if (controllers == "memory") v1_path = path;
  }
  for (const std::string& candidate :
       {"/sys/fs/cgroup" + v2_path + "/memory.events",
        "/sys/fs/cgroup/memory" + v1_path + "/memory.oom_control"}) {
    if (::access(candidate.c_str(), R_OK) == 0) return OomCounter(candidate);
  }
  return OomCounter("");
}

std::optional<std::uint64_t> OomCounter::Read() const {
  if (path_.empty()) return std::nullopt;
  std::ifstream in(path_);
  std::string key;
  std::uint64_t value = 0;
  while (in >> key >> value) {
    if (key == "oom_kill") return value;
  }
  return std::nullopt;
}

bool OomCounter::IncreasedSinceLastCheck() {
  const std::optional<std::uint64_t> now = Read();
  const bool increased = now && last_ && *now > *last_;
  if (now) last_ = now;
  return increased;
}

std::string FindOnPath(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path ? path : "/usr/bin:/bin");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    const std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

}  // namespace tq::daemon
