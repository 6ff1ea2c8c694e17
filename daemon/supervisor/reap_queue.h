// ReapQueue: helper processes (a stack-capture tool) that tqd has stopped
// caring about but that have not exited yet. They are killed and reaped
// after SIGCHLD like workers are, never waited for in the loop.
#pragma once

#include <vector>

#include "base/subprocess.h"

namespace tq::daemon {

class ReapQueue {
 public:
  // Sends `signal` to the process (unless it was reaped already) and keeps
  // it until it is reaped.
  void Add(base::Subprocess process, int signal);
  // Reaps whatever has exited (WNOHANG). Call after SIGCHLD.
  void ReapExited();
  std::size_t size() const { return processes_.size(); }

 private:
  std::vector<base::Subprocess> processes_;
};

}  // namespace tq::daemon
