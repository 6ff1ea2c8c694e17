// WorkerProcess and WorkerSpawner: how the worker pool starts a worker and
// what it may do to the process afterwards, behind an interface so that the
// pool's state machine is tested with fake processes (a fake spawner hands
// out real pipes and pretend pids) and a fake clock.
//
// The pool is the only owner of a worker's pid: it signals the process
// through WorkerProcess, learns of its exit only through TryReap() (called
// after SIGCHLD), and destroys the handle only once it has been reaped, so
// nothing ever blocks in waitpid inside tqd's loop.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/exit_status.h"
#include "base/fd.h"
#include "stack_capture.h"
#include "tq/proto/limits.h"
#include "tq/proto/status.h"

namespace tq::daemon {

// What to run as a worker, and the limits on what it sends back.
struct WorkerCommand {
  std::string program;
  std::vector<std::string> plugins;
  std::vector<std::string> extra_args;  // appended to the worker's argv
  // NAME=value entries added to (or replacing names in) tqd's environment,
  // which the worker otherwise inherits.
  std::vector<std::string> env;
  proto::Limits limits;  // on frames and values the worker sends
  // A worker that has not said hello by then is killed.
  std::chrono::milliseconds start_timeout{10000};
};

// One spawned worker process.
class WorkerProcess {
 public:
  virtual ~WorkerProcess() = default;
  virtual pid_t pid() const = 0;
  // Sends `signal`; does nothing once the process has been reaped.
  virtual void Signal(int signal) = 0;
  // Reaps the process if it has exited (never blocks): its exit status, or
  // nullopt while it still runs.
  virtual std::optional<base::ExitStatus> TryReap() = 0;
  // Resident set size in bytes; 0 if unknown.
  virtual std::uint64_t RssBytes() const = 0;
  // Starts finding out where the process is (a timed-out task's stack);
  // by default the stack tool `tool` runs here on pid().
  virtual proto::Result<StackCapture> CaptureStack(const std::string& tool,
                                                   base::TimePoint deadline);
  // Non-empty when the process was given up without being reaped (the
  // host it ran on became unreachable): what to tell of its task. TryReap
  // then returns the status it was given up with.
  virtual std::string LostHow() const { return {}; }
  // Given up so that its task goes back to the queue (its agent left,
  // asking for that) rather than ending lost.
  virtual bool Requeue() const { return false; }
};

// A new worker and our ends of its two pipes: we write tasks to
// `to_worker` (its fd 3) and read frames from `from_worker` (its fd 4).
// Both of ours are non-blocking.
struct SpawnedWorker {
  std::unique_ptr<WorkerProcess> process;
  base::Fd to_worker;
  base::Fd from_worker;
};

class WorkerSpawner {
 public:
  virtual ~WorkerSpawner() = default;
  virtual proto::Result<SpawnedWorker> Spawn(const WorkerCommand& command) = 0;
};

// The real one: fork/exec's `command.program` with posix_spawn (base::Subprocess),
// protocol pipes on fds 3 and 4, `--plugin P` per plugin, then extra_args.
class ProcessSpawner final : public WorkerSpawner {
 public:
  proto::Result<SpawnedWorker> Spawn(const WorkerCommand& command) override;
};

}  // namespace tq::daemon
