// ExecChild: the running exec command, and the one owner of its pid.
//
// The command runs in a process group of its own, led by the main child.
// An ExecChild holds that child (a base::Subprocess) and the group's entry
// in the stop registry that KillRunningCommand() reads: the worker's
// SIGTERM handler calls it to SIGKILL the group of the ExecChild alive.
// The group is registered before this thread can take SIGTERM for it, and
// unregistered before the child is reaped (until then the zombie keeps the
// id from reuse), so the handler neither misses the command nor hits a
// stranger's group.
//
// One ExecChild at a time per process (a worker runs one task at a time):
// a second is a bug of ours, and aborts. Used from one thread; only
// KillRunningCommand() may be called from a signal handler.
#pragma once

#include <sys/types.h>

#include <utility>

#include "base/subprocess.h"

namespace tq::worker {

class ExecChild {
 public:
  // Spawns `options` in a new process group (whatever new_process_group
  // says), with SIGTERM blocked in this thread until the group is
  // registered: a SIGTERM meanwhile waits, then kills the new group.
  // Errors are Subprocess::Spawn's.
  static base::Result<ExecChild> Start(base::SpawnOptions options);

  // If the child was not reaped: SIGKILL to its group, then reaps it
  // (blocking), so the command never outlives its task.
  ~ExecChild();
  ExecChild(ExecChild&& other) noexcept;
  ExecChild& operator=(ExecChild&&) = delete;
  ExecChild(const ExecChild&) = delete;
  ExecChild& operator=(const ExecChild&) = delete;

  pid_t pid() const { return child_.pid(); }
  // True once the main child has exited; it stays a zombie until Reap().
  bool HasExited() const { return child_.HasExited(); }
  // Sends `signal` to the whole group; nothing once reaped.
  void KillGroup(int signal) { child_.KillGroup(signal); }
  // Unregisters the group, then waits for the main child and reaps it.
  // Blocks. The Subprocess returned has exit_status() and cpu_time().
  const base::Subprocess& Reap();

 private:
  explicit ExecChild(base::Subprocess child) : child_(std::move(child)) {}
  void Unregister();

  base::Subprocess child_;
  bool registered_ = true;  // false once unregistered, or moved from
};

// SIGKILLs the process group of the running exec command, if there is one.
// Async-signal-safe: for the worker's SIGTERM handler.
void KillRunningCommand();

}  // namespace tq::worker
