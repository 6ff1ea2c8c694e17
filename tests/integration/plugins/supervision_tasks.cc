// Tasks that misbehave on purpose, for the supervision tests: they crash,
// exit, hog memory, spin, or fail a set number of times (counting attempts
// in a file, since each attempt may run in a new worker).
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <tq/worker/task.h>
#include <vector>

namespace {

// Adds one to the number in `path` and returns the new value.
int Count(const std::string& path) {
  int n = 0;
  {
    std::ifstream in(path);
    in >> n;
  }
  std::ofstream(path) << ++n;
  return n;
}

// Appends the line `token` to `path` in one O_APPEND write (whole lines,
// also from workers writing at once); returns it.
std::string Append(const std::string& path, const std::string& token) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error("open " + path + ": " + std::strerror(errno));
  const std::string line = token + "\n";
  const ssize_t n = ::write(fd, line.data(), line.size());
  ::close(fd);
  if (n != static_cast<ssize_t>(line.size())) throw std::runtime_error("short write");
  return token;
}

std::vector<std::unique_ptr<char[]>> held;  // hold_mib keeps it here

}  // namespace

TQ_PLUGIN(registry) {
  registry.add("pid", [] { return static_cast<int>(::getpid()); });
  // The worker's open descriptors (what it inherited, and its own).
  registry.add("open_fds", [] {
    std::vector<int> fds;
    for (const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) {
      fds.push_back(std::stoi(e.path().filename().string()));
    }
    std::sort(fds.begin(), fds.end());
    return fds;
  });
  registry.add("segv", []() -> bool {
    ::raise(SIGSEGV);
    return false;
  });
  registry.add("exit_with", [](int code) -> bool { ::_exit(code); });
  registry.add("count", [](std::string path) { return Count(path); });
  // Appends the line `token` to `path` and returns it: a record of each
  // time a task ran, that outlives tqd.
  registry.add("record", [](std::string path, std::string token) {
    return Append(path, token);
  });
  // As record, once the file `gate` is gone: tasks that wait there, with
  // a history of being short, keep others sent ahead behind them.
  registry.add("record_after", [](std::string path, std::string token, std::string gate) {
    while (std::filesystem::exists(gate)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return Append(path, token);
  });
  // As record_after, having first reported progress 1/2 "at the gate":
  // a task known to have started.
  registry.add("progress_record_after", [](std::string path, std::string token,
                                           std::string gate) {
    tq::progress(1, 2, "at the gate");
    while (std::filesystem::exists(gate)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return Append(path, token);
  });
  registry.add("fail_until", [](std::string path, int n) {
    const int c = Count(path);
    if (c < n) throw std::runtime_error("attempt " + std::to_string(c) + " fails");
    return c;
  });
  registry.add("crash_until", [](std::string path, int n) {
    const int c = Count(path);
    if (c < n) std::abort();
    return c;
  });
  registry.add("hold_mib", [](int mib) {
    auto block = std::make_unique<char[]>(static_cast<std::size_t>(mib) << 20);
    std::memset(block.get(), 1, static_cast<std::size_t>(mib) << 20);
    held.push_back(std::move(block));
    return static_cast<int>(held.size());
  });
  // Reports progress i/n with "step i", pausing `ms` between steps.
  registry.add("steps", [](int n, int ms) {
    for (int i = 1; i <= n; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(ms));
      tq::progress(i, n, "step " + std::to_string(i));
    }
    return n;
  });
  registry.add("spin", [](int ms) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    long spins = 0;
    while (std::chrono::steady_clock::now() < until) ++spins;
    return spins > 0;
  });
}
