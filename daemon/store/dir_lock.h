// DirLock: one tqd per state directory.
//
// Two tqds writing one store would each believe their own view of the
// queue, so the store's owner holds an exclusive flock on DIR/tq.db.lock,
// with its pid in the file for the refusal message. The lock dies with the
// process (a crashed tqd never blocks its successor) and conflicts between
// any two open file descriptions, so also between two stores opened in one
// process. The file is never removed: removing a locked file would let a
// newcomer lock a fresh file at the same path while the old one is held.
//
// (daemon/supervisor/endpoint_lock.cc does the same for ipc:// paths, with
// the extra dance its file removal needs.)
#pragma once

#include <string>

#include "base/fd.h"

namespace tq::store {

class DirLock {
 public:
  // Locks `lock_path`, creating it 0600. When another holder has it, fails
  // with "state directory DIR is in use by another tqd (pid N)", naming
  // `dir`.
  static proto::Result<DirLock> Acquire(const std::string& dir,
                                        const std::string& lock_path);

  DirLock() = default;
  DirLock(DirLock&&) noexcept = default;
  DirLock& operator=(DirLock&&) noexcept = default;
  DirLock(const DirLock&) = delete;
  DirLock& operator=(const DirLock&) = delete;
  ~DirLock() = default;  // closing the fd releases the lock

 private:
  explicit DirLock(base::Fd fd) : fd_(std::move(fd)) {}
  base::Fd fd_;
};

}  // namespace tq::store
