// ExitStatus: how a child process ended, decoded from waitpid's status, and
// described the way an operator wants to read it.
#pragma once

#include <string>

namespace tq::base {

struct ExitStatus {
  bool signaled = false;
  int code = 0;    // exit code when !signaled
  int signal = 0;  // terminating signal when signaled
  bool core_dumped = false;

  static ExitStatus FromWaitStatus(int status);
  // "exited with code 3", "killed by signal 11 (SIGSEGV)".
  std::string Describe() const;
};

// "SIGSEGV" for 11; "signal 77" for numbers without a name.
std::string SignalName(int signal);

}  // namespace tq::base
