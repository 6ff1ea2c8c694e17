// TryLockPidFile.
#include "base/pid_lock_file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <utility>

namespace tq::base {

Result<PidLockFile> TryLockPidFile(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!fd) return Status::FromErrno("open " + path, errno);
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) < 0) {
    if (errno != EWOULDBLOCK) return Status::FromErrno("flock " + path, errno);
    char buf[32] = {};
    const ssize_t n = ::pread(fd.get(), buf, sizeof buf - 1, 0);
    std::string holder = n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "";
    while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) {
      holder.pop_back();
    }
    return PidLockFile{Fd(), holder.empty() ? "unknown" : holder};
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd.get(), 0) < 0 || ::pwrite(fd.get(), pid.data(), pid.size(), 0) < 0) {
    return Status::FromErrno("write " + path, errno);
  }
  return PidLockFile{std::move(fd), {}};
}

}  // namespace tq::base
