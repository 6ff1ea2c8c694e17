// RunCommand: runs a program to completion with the given stdin and
// returns its exit status, stdout and stderr (for CLI tests).
#pragma once

#include <string>
#include <vector>

#include "base/exit_status.h"

namespace tq::testing {

struct CommandResult {
  base::ExitStatus status;
  std::string out;
  std::string err;
  int code() const { return status.signaled ? 128 + status.signal : status.code; }
};

// Extra environment entries are "NAME=value" strings added to ours.
CommandResult RunCommand(const std::vector<std::string>& argv,
                         const std::string& stdin_data = "",
                         const std::vector<std::string>& extra_env = {});

}  // namespace tq::testing
