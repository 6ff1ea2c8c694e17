// EndpointLock: makes tqd single-instance per ipc:// endpoint.
//
// Binding an ipc:// path silently unlinks a live socket file, so a second
// tqd would steal the endpoint from the first. Each tqd therefore holds an
// exclusive flock on PATH.lock for as long as it serves PATH. The lock dies
// with the process, so a crashed tqd never blocks its successor.
#pragma once

#include <string>

#include "base/fd.h"

namespace tq::daemon {

class EndpointLock {
 public:
  // Locks `socket_path` + ".lock", creating missing parent directories.
  // Fails with a sentence naming the holder's pid when another tqd has it.
  static proto::Result<EndpointLock> Acquire(const std::string& socket_path);

  EndpointLock() = default;
  EndpointLock(EndpointLock&& other) noexcept;
  EndpointLock& operator=(EndpointLock&& other) noexcept;
  EndpointLock(const EndpointLock&) = delete;
  EndpointLock& operator=(const EndpointLock&) = delete;
  // Calls RemoveFiles().
  ~EndpointLock();

  // Removes the socket file and the lock file, then releases the lock.
  // Does nothing when the lock is not held.
  void RemoveFiles();

 private:
  std::string socket_path_;
  std::string lock_path_;
  base::Fd fd_;
};

}  // namespace tq::daemon
