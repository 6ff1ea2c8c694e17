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
    if (::mkdir(dir.c_str(), 0750) < 0 && errno != EEXIST) {
      return Status::FromErrno("mkdir " + dir, errno);
    }
  }
  return Status::Ok();
}

}  // namespace

proto::Result<EndpointLock> EndpointLock::Acquire(const std::string& socket_path) {
  TQ_RETURN_IF_ERROR(MakeParents(socket_path));
  EndpointLock lock;
  lock.socket_path_ = socket_path;
  lock.lock_path_ = socket_path + ".lock";
  lock.fd_ = base::Fd(::open(lock.lock_path_.c_str(),
                             O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!lock.fd_) return Status::FromErrno("open " + lock.lock_path_, errno);
  if (::flock(lock.fd_.get(), LOCK_EX | LOCK_NB) < 0) {
    if (errno != EWOULDBLOCK) {
      return Status::FromErrno("flock " + lock.lock_path_, errno);
    }
    char buf[32] = {};
    const ssize_t n = ::pread(lock.fd_.get(), buf, sizeof buf - 1, 0);
    std::string holder = n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "?";
    while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) {
      holder.pop_back();
    }
    lock.lock_path_.clear();  // not ours: do not remove on destruction
    lock.socket_path_.clear();
    return Status(ErrorCode::kConfig,
                  "another tqd (pid " + holder + ") is already serving ipc://" +
                      socket_path + " (lock " + socket_path + ".lock)");
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(lock.fd_.get(), 0) < 0 ||
      ::pwrite(lock.fd_.get(), pid.data(), pid.size(), 0) < 0) {
    return Status::FromErrno("write " + lock.lock_path_, errno);
  }
  return lock;
}

void EndpointLock::RemoveFiles() {
  if (lock_path_.empty()) return;
  ::unlink(socket_path_.c_str());
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
