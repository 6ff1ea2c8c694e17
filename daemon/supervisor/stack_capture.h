// StackCapture: asks gdb (or eu-stack) where a process is, without
// blocking tqd's loop: the tool runs as a child whose output arrives on a
// pipe the loop polls, and is killed if it overruns its deadline.
//
// Used before a timed-out task's worker is killed, so the result says where
// the task hung (php-fpm's slowlog). The worker allows any same-uid tracer
// (PR_SET_PTRACER in the worker runtime), since the tool is tqd's child,
// not the worker's parent.
#pragma once

#include <string>

#include "base/clock.h"
#include "base/fd.h"
#include "base/subprocess.h"

namespace tq::daemon {

class StackCapture {
 public:
  // gdb, else eu-stack, from $PATH; "" if neither is there.
  static std::string FindTool();
  // The capture command for `pid` given a tool's path: gdb or eu-stack,
  // chosen by the tool's file name.
  static proto::Result<StackCapture> Start(const std::string& tool, pid_t pid,
                                           base::TimePoint deadline);

  // A capture whose text arrives on `out` from elsewhere (a remote worker's
  // agent runs the tool): there is no local tool to kill or reap.
  static StackCapture FromFd(base::Fd out, base::TimePoint deadline) {
    return StackCapture({}, std::move(out), deadline);
  }

  int fd() const { return out_.get(); }
  base::TimePoint deadline() const { return deadline_; }
  // Reads what the tool wrote. True once it closed its output.
  bool ReadSome();
  // Stops reading and returns what the tool wrote (capped); "" if called
  // before.
  std::string TakeText();
  // Hands over the tool's process, for the caller to kill and reap after
  // SIGCHLD: nothing here waits for it.
  [[nodiscard]] base::Subprocess ReleaseTool() { return std::move(process_); }

 private:
  StackCapture(base::Subprocess process, base::Fd out, base::TimePoint deadline)
      : process_(std::move(process)), out_(std::move(out)), deadline_(deadline) {}

  base::Subprocess process_;
  base::Fd out_;
  base::TimePoint deadline_;
  std::string text_;
};

}  // namespace tq::daemon
