// Fd and Pipe.
#include "fd.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace tq::base {

void Fd::Close() {
  if (fd_ >= 0) {
    // Linux closes the fd even when close() reports EINTR: never retry.
    ::close(fd_);
    fd_ = -1;
  }
}

Status SetNonBlocking(int fd) {
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
    return Status::FromErrno("fcntl(O_NONBLOCK)", errno);
  }
  return Status::Ok();
}

Result<Pipe> Pipe::Create() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) < 0) return Status::FromErrno("pipe2", errno);
  return Pipe{Fd(fds[0]), Fd(fds[1])};
}

}  // namespace tq::base
