// TryLockPidFile: an exclusive flock(2) on a file that names its holder.
//
// The lock dies with the process holding it (a crashed holder never blocks
// its successor) and conflicts between any two open file descriptions,
// so also within one process. The holder's pid in the file is only for
// messages: the flock is what excludes.
#pragma once

#include <string>

#include "base/fd.h"

namespace tq::base {

struct PidLockFile {
  Fd fd;               // holds the lock; invalid when another process does
  std::string holder;  // when !fd: the pid in the file, or "unknown"
};

// Opens `path` (creating it 0600) and takes the lock without waiting. On
// success writes this process's pid into the file. Fails only when a
// system call does; a lock held elsewhere is a result with !fd.
Result<PidLockFile> TryLockPidFile(const std::string& path);

}  // namespace tq::base
