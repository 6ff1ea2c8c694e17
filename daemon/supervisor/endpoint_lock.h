// EndpointLock: makes tqd single-instance per ipc:// endpoint.
//
// Binding an ipc:// path silently unlinks a live socket file, so a second
// tqd would steal the endpoint from the first. Each tqd therefore holds an
// exclusive flock on PATH.lock for as long as it serves PATH. The lock dies
// with the process, so a crashed tqd never blocks its successor.
//
// Under socket activation systemd made the socket file and owns it (it
// serves it again to the next tqd), so the lock still keeps a second,
// hand-started tqd from binding over it, but leaves the file in place.
#pragma once

#include <cstdint>
#include <string>

#include "base/fd.h"

namespace tq::daemon {

class EndpointLock {
 public:
  // Who removes the socket file when the lock is released.
  enum class SocketFile : std::uint8_t {
    kOurs,      // tqd bound it: RemoveFiles() unlinks it
    kSystemds,  // systemd made it (socket activation): left in place
  };

  // Locks `socket_path` + ".lock", creating missing parent directories.
  // Fails with a sentence naming the holder's pid when another tqd has it.
  static proto::Result<EndpointLock> Acquire(const std::string& socket_path,
                                             SocketFile socket_file = SocketFile::kOurs);

  EndpointLock() = default;
  EndpointLock(EndpointLock&& other) noexcept;
  EndpointLock& operator=(EndpointLock&& other) noexcept;
  EndpointLock(const EndpointLock&) = delete;
  EndpointLock& operator=(const EndpointLock&) = delete;
  // Calls RemoveFiles().
  ~EndpointLock();

  // Removes the socket file (if it is ours) and the lock file, then
  // releases the lock. Does nothing when the lock is not held.
  void RemoveFiles();

 private:
  std::string socket_path_;  // "" when the file is systemd's
  std::string lock_path_;
  base::Fd fd_;
};

}  // namespace tq::daemon
