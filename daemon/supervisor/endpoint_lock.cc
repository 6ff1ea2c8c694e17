// EndpointLock.
#include "endpoint_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <utility>

namespace tq::daemon {
namespace {

using proto::ErrorCode;
using proto::Status;

Status MakeParents(const std::string& path) {
  for (std::size_t i = path.find('/', 1); i != std::string::npos;
       i = path.find('/', i + 1)) {
    const std::string dir = path.substr(0, i);
    if (::mkdir(dir.c_str(), 0750) == 0) {
      // Exactly 0750 whatever the umask: the socket's group must be able to
      // reach it, and no one else (what RuntimeDirectoryMode= gives).
      if (::chmod(dir.c_str(), 0750) < 0) return Status::FromErrno("chmod " + dir, errno);
    } else if (errno != EEXIST) {
      return Status::FromErrno("mkdir " + dir, errno);
    }
  }
  return Status::Ok();
}

}  // namespace

proto::Result<EndpointLock> EndpointLock::Acquire(const std::string& socket_path,
                                                  SocketFile socket_file) {
  TQ_RETURN_IF_ERROR(MakeParents(socket_path));
  const std::string lock_path = socket_path + ".lock";
  // The holder deletes the lock file on exit while still holding it, so a
  // waiter may lock a file that is no longer at the path: only a lock on
  // the file the path names now counts. Retry until that is what we hold.
  for (int attempt = 0; attempt < 100; ++attempt) {
    base::Fd fd(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    if (!fd) return Status::FromErrno("open " + lock_path, errno);
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) < 0) {
      if (errno != EWOULDBLOCK) return Status::FromErrno("flock " + lock_path, errno);
      char buf[32] = {};
      const ssize_t n = ::pread(fd.get(), buf, sizeof buf - 1, 0);
      std::string holder = n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "?";
      while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) {
        holder.pop_back();
      }
      return Status(ErrorCode::kConfig,
                    "another tqd (pid " + holder + ") is already serving ipc://" +
                        socket_path + " (lock " + lock_path + ")");
    }
    struct stat held, named;
    if (::fstat(fd.get(), &held) < 0) return Status::FromErrno("fstat " + lock_path, errno);
    if (::stat(lock_path.c_str(), &named) < 0 || held.st_ino != named.st_ino ||
        held.st_dev != named.st_dev) {
      continue;  // we locked a file its holder just removed
    }
    const std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd.get(), 0) < 0 ||
        ::pwrite(fd.get(), pid.data(), pid.size(), 0) < 0) {
      return Status::FromErrno("write " + lock_path, errno);
    }
    EndpointLock lock;
    if (socket_file == SocketFile::kOurs) lock.socket_path_ = socket_path;
    lock.lock_path_ = lock_path;
    lock.fd_ = std::move(fd);
    return lock;
  }
  return Status(ErrorCode::kConfig, "cannot lock " + lock_path + ": it keeps being replaced");
}

void EndpointLock::RemoveFiles() {
  if (lock_path_.empty()) return;
  if (!socket_path_.empty()) ::unlink(socket_path_.c_str());
  ::unlink(lock_path_.c_str());
  lock_path_.clear();
  fd_.Close();
}

EndpointLock::EndpointLock(EndpointLock&& other) noexcept
    : socket_path_(std::exchange(other.socket_path_, {})),
      lock_path_(std::exchange(other.lock_path_, {})),
      fd_(std::move(other.fd_)) {}

EndpointLock& EndpointLock::operator=(EndpointLock&& other) noexcept {
  if (this != &other) {
    RemoveFiles();
    socket_path_ = std::exchange(other.socket_path_, {});
    lock_path_ = std::exchange(other.lock_path_, {});
    fd_ = std::move(other.fd_);
  }
  return *this;
}

EndpointLock::~EndpointLock() { RemoveFiles(); }

}  // namespace tq::daemon
