// Subprocess: a child started with posix_spawn, owned until it is reaped.
//
// Spawn() gives the child a clean signal state (empty mask, default
// dispositions: a blocked mask would survive exec) and maps the descriptors
// the caller names onto fixed numbers; every other descriptor of ours is
// O_CLOEXEC. A Subprocess that is destroyed before it was reaped kills its
// child with SIGKILL and waits for it, so no child outlives its owner
// unnoticed. Not thread-safe.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "exit_status.h"
#include "fd.h"

namespace tq::base {

struct SpawnOptions {
  std::vector<std::string> argv;  // argv[0] is the program's path
  // {child fd, our fd}: our fd becomes the child's fd (dup2).
  std::vector<std::pair<int, int>> fd_map;
  // Put the child in its own process group, so a terminal's ^C reaches only
  // the parent, which then stops its children in order.
  bool new_process_group = true;
};

class Subprocess {
 public:
  static Result<Subprocess> Spawn(const SpawnOptions& options);

  Subprocess() = default;
  ~Subprocess();
  Subprocess(Subprocess&& other) noexcept;
  Subprocess& operator=(Subprocess&& other) noexcept;
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0 && !exit_; }
  const std::optional<ExitStatus>& exit_status() const { return exit_; }

  // Sends `signal` if the child has not been reaped yet.
  void Kill(int signal);
  // Reaps the child if it has exited (WNOHANG). Returns true once reaped.
  bool TryReap();
  // Blocks until the child exits.
  ExitStatus Wait();

 private:
  explicit Subprocess(pid_t pid) : pid_(pid) {}
  pid_t pid_ = -1;
  std::optional<ExitStatus> exit_;
};

}  // namespace tq::base
