// TakeActivatedSocket. The protocol is a few lines (sd_listen_fds(3)), done
// here for the same reason as service_notifier.cc's: the variables are taken
// out of the environment at once.
#include "activated_socket.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "take_env.h"
#include "tq/proto/endpoint.h"

namespace tq::daemon {
namespace {

using proto::ErrorCode;
using proto::Status;

constexpr int kFirstFd = 3;  // SD_LISTEN_FDS_START

Status Refuse(const std::string& why) {
  return Status(ErrorCode::kConfig, "socket activation: " + why);
}

int SocketOption(int fd, int option) {
  int value = -1;
  socklen_t size = sizeof value;
  if (::getsockopt(fd, SOL_SOCKET, option, &value, &size) < 0) return -1;
  return value;
}

}  // namespace

proto::Result<base::Fd> TakeActivatedSocket(const std::string& endpoint) {
  const std::string pid = TakeEnv("LISTEN_PID");
  const std::string fds = TakeEnv("LISTEN_FDS");
  ::unsetenv("LISTEN_FDNAMES");
  if (fds.empty() || pid != std::to_string(::getpid())) return base::Fd();
  if (fds != "1") {
    return Refuse("systemd passed LISTEN_FDS=" + fds +
                  " sockets; tqd serves one (a single ListenStream= in its "
                  ".socket unit)");
  }
  // Ours from here, whatever follows: closed on every error.
  base::Fd fd(kFirstFd);
  const std::string path(proto::IpcPath(endpoint));
  if (path.empty()) {
    return Refuse("the endpoint " + endpoint +
                  " is not ipc://; tqd takes only a unix socket from systemd");
  }
  sockaddr_un bound{};
  socklen_t size = sizeof bound;
  if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&bound), &size) < 0) {
    return Refuse(std::string("fd 3 is not a socket: ") + std::strerror(errno));
  }
  if (bound.sun_family != AF_UNIX ||
      SocketOption(fd.get(), SO_TYPE) != SOCK_STREAM ||
      SocketOption(fd.get(), SO_ACCEPTCONN) != 1) {
    return Refuse(
        "fd 3 is not a listening unix stream socket (ListenStream=PATH)");
  }
  const std::size_t length = size > offsetof(sockaddr_un, sun_path)
                                 ? size - offsetof(sockaddr_un, sun_path)
                                 : 0;
  // An abstract name (ListenStream=@name) is ipc://@name to ZeroMQ.
  const std::string got =
      length > 0 && bound.sun_path[0] == '\0'
          ? "@" + std::string(bound.sun_path + 1, length - 1)
          : std::string(bound.sun_path, ::strnlen(bound.sun_path, length));
  if (got != path) {
    return Refuse("systemd passed a socket bound to '" + got +
                  "', but the endpoint is " + endpoint +
                  " (ListenStream= and tqd's endpoint must name one path)");
  }
  if (::fcntl(fd.get(), F_SETFD, FD_CLOEXEC) < 0) {
    return Status::FromErrno("socket activation: fcntl FD_CLOEXEC", errno);
  }
  spdlog::info("socket activation: serving the socket systemd passed for {}", got);
  return fd;
}

}  // namespace tq::daemon
