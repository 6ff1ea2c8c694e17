// DirLock.
#include "store/dir_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <utility>

namespace tq::store {

using proto::ErrorCode;
using proto::Status;

proto::Result<DirLock> DirLock::Acquire(const std::string& dir,
                                        const std::string& lock_path) {
  base::Fd fd(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!fd) return Status::FromErrno("open " + lock_path, errno);
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) < 0) {
    if (errno != EWOULDBLOCK) return Status::FromErrno("flock " + lock_path, errno);
    char buf[32] = {};
    const ssize_t n = ::pread(fd.get(), buf, sizeof buf - 1, 0);
    std::string holder = n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "";
    while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) {
      holder.pop_back();
    }
    if (holder.empty()) holder = "unknown";
    return Status(ErrorCode::kIo, "state directory " + dir +
                                      " is in use by another tqd (pid " + holder + ")");
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd.get(), 0) < 0 ||
      ::pwrite(fd.get(), pid.data(), pid.size(), 0) < 0) {
    return Status::FromErrno("write " + lock_path, errno);
  }
  return DirLock(std::move(fd));
}

}  // namespace tq::store
