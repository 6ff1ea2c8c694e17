// RssBytes, OpenFdCount.
#include "testing/process_stats.h"

#include <filesystem>
#include <fstream>
#include <string>

namespace tq::testing {

std::optional<std::size_t> RssBytes(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) {
      return std::stoull(line.substr(6)) * 1024;  // "VmRSS:   1234 kB"
    }
  }
  return std::nullopt;
}

std::optional<std::size_t> OpenFdCount(pid_t pid) {
  std::error_code ec;
  std::filesystem::directory_iterator it("/proc/" + std::to_string(pid) + "/fd", ec);
  if (ec) return std::nullopt;
  std::size_t n = 0;
  for (; it != std::filesystem::directory_iterator(); it.increment(ec)) {
    if (ec) return std::nullopt;
    ++n;
  }
  return n;
}

}  // namespace tq::testing
