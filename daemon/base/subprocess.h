// Subprocess: a child started with posix_spawn, owned until it is reaped.
// The project's one spawner: tqd's workers, its stack captures and the
// exec task's commands all start here.
//
// Spawn() gives the child a clean signal state (empty mask, default
// dispositions: a blocked mask or an ignored signal would survive exec),
// wires its standard streams, maps the descriptors the caller names onto
// fixed numbers, and can close every other descriptor. It runs the program
// in a process group of its own unless told otherwise. A Subprocess that is
// destroyed before it was reaped kills its child with SIGKILL and waits for
// it, so no child outlives its owner unnoticed. Not thread-safe.
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "exit_status.h"
#include "fd.h"

namespace tq::base {

// Where one of the child's standard streams (0, 1 or 2) comes from.
struct Stdio {
  enum class Kind { kInherit, kNull, kFd };
  Kind kind = Kind::kInherit;
  int fd = -1;  // ours, when kind is kFd

  static Stdio Inherit() { return {}; }
  // /dev/null, opened for reading (stdin) or writing (stdout, stderr).
  static Stdio Null() { return {Kind::kNull, -1}; }
  // A copy of our `fd`, which need only stay open until Spawn() returns.
  static Stdio From(int fd) { return {Kind::kFd, fd}; }
};

struct SpawnOptions {
  std::vector<std::string> argv;  // argv[0] is the program's path
  // {child fd, our fd}: our fd becomes the child's fd (dup2). A source may
  // appear twice (stdout and stderr on one pipe); a target may not.
  std::vector<std::pair<int, int>> fd_map;
  // Put the child in its own process group, so a terminal's ^C reaches only
  // the parent, which then stops its children in order.
  bool new_process_group = true;

  // The file to execute, when it is not argv[0] (which the program then
  // sees as its name). Run as given: never searched on PATH.
  std::string program;
  // The child's whole environment, as NAME=value entries; without it the
  // child inherits ours.
  std::optional<std::vector<std::string>> env;
  // The child's working directory (relative: to ours); without it, ours.
  std::optional<std::string> cwd;
  // The standard streams; a stream wired here must not be in fd_map too.
  // Inherit leaves fd_map free to name it (the older way to wire it).
  Stdio child_stdin, child_stdout, child_stderr;
  // Close every descriptor in the child but 0-2 and fd_map's targets, even
  // ones without O_CLOEXEC (a plugin's, the worker's protocol pipes). When
  // false, what survives is whatever we did not mark O_CLOEXEC.
  bool close_other_fds = false;
  // What a failed posix_spawn's Status says was being done, before ": " and
  // the errno's text. Default: "posix_spawn PROGRAM".
  std::string error_prefix;
};

// The CPU time a reaped child and the descendants it waited for used.
struct CpuTime {
  std::chrono::microseconds user{0};
  std::chrono::microseconds system{0};
};

class Subprocess {
 public:
  // Errors: kConfig for options that contradict each other (empty argv, a
  // target named twice); kIo when a system call or the spawn fails (a
  // missing program, a cwd that cannot be entered: "posix_spawn /x: No such
  // file or directory").
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
  // Set once the child was reaped here; absent when it could not be (ECHILD:
  // someone else reaped it), and so was exit_status's content.
  const std::optional<CpuTime>& cpu_time() const { return cpu_; }

  // Sends `signal` if the child has not been reaped yet.
  void Kill(int signal);
  // Sends `signal` to the child's process group, if the child leads one
  // (new_process_group) and has not been reaped: until then its pid, which
  // is the group's id, cannot be reused, not even by a zombie's successor.
  void KillGroup(int signal);
  // True once the child has exited, without reaping it (waitid WNOWAIT): the
  // zombie keeps its pid and group id reserved, so KillGroup may still reach
  // what is left of the group. Does not block.
  bool HasExited() const;
  // Reaps the child if it has exited (WNOHANG). Returns true once reaped.
  bool TryReap();
  // Blocks until the child exits, and reaps it.
  ExitStatus Wait();

 private:
  Subprocess(pid_t pid, bool leads_group)
      : pid_(pid), leads_group_(leads_group) {}
  // Records what wait4 returned for our pid.
  void Reaped(int status, const rusage& usage);

  pid_t pid_ = -1;
  bool leads_group_ = false;
  std::optional<ExitStatus> exit_;
  std::optional<CpuTime> cpu_;
};

}  // namespace tq::base
