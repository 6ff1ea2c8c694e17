// ExitStatus.
#include "exit_status.h"

#include <signal.h>
#include <string.h>
#include <sys/wait.h>

namespace tq::base {

ExitStatus ExitStatus::FromWaitStatus(int status) {
  ExitStatus s;
  if (WIFSIGNALED(status)) {
    s.signaled = true;
    s.signal = WTERMSIG(status);
    s.core_dumped = WCOREDUMP(status);
  } else if (WIFEXITED(status)) {
    s.code = WEXITSTATUS(status);
  }
  return s;
}

std::string SignalName(int signal) {
  const char* abbrev = sigabbrev_np(signal);
  if (abbrev == nullptr) return "signal " + std::to_string(signal);
  return std::string("SIG") + abbrev;
}

std::string ExitStatus::Describe() const {
  if (!signaled) return "exited with code " + std::to_string(code);
  std::string out = "killed by signal " + std::to_string(signal) + " (" +
                    SignalName(signal) + ")";
  // The kernel's only reason to send it: RLIMIT_CPU (tqd --worker-rlimit-cpu).
  if (signal == SIGXCPU) out += ": CPU time limit exceeded";
  return out;
}

}  // namespace tq::base
