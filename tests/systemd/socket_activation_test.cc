// Socket activation without systemd: the test binds and listens on a unix
// socket, as tqd.socket would, and starts tqd with it on fd 3 and
// LISTEN_FDS/LISTEN_PID set (sd_listen_fds(3)). tqd serves that socket
// instead of binding its own, keeps it from its workers, leaves its file
// to its maker, and refuses sockets it cannot serve.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>

#include "base/fd.h"
#include "testing/run_command.h"
#include "testing/tqd_process.h"
#include "testing/wait_for.h"

namespace tq {
namespace {

using namespace std::chrono_literals;
using testing::BinPath;
using testing::RawConnection;
using testing::RunCommand;
using testing::TempDir;
using testing::TqdOptions;
using testing::TqdProcess;
using testing::WaitFor;

// A listening unix stream socket bound at `path`, as systemd makes one.
base::Fd Listen(const std::string& path, int type = SOCK_STREAM) {
  base::Fd fd(::socket(AF_UNIX, type | SOCK_CLOEXEC, 0));
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
  if (!fd || ::bind(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) < 0 ||
      (type == SOCK_STREAM && ::listen(fd.get(), 128) < 0)) {
    ADD_FAILURE() << "cannot listen on " << path << ": "
                  << std::strerror(errno);
  }
  return fd;
}

ino_t Inode(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

// tqd on `endpoint`, given `fd` as fd 3 with LISTEN_FDS=`count`; LISTEN_PID
// is set by a shell that then execs tqd, so it names tqd's own pid.
TqdOptions Activated(const std::string& endpoint, int fd,
                     const std::string& count = "1") {
  TqdOptions o;
  o.workers = 2;
  o.endpoint = endpoint;
  o.wait_ready = false;
  o.launcher = {"/bin/sh", "-c", "LISTEN_PID=$$ exec \"$@\"", "sh"};
  o.extra_env = {"LISTEN_FDS=" + count, "LISTEN_FDNAMES=tqd.socket"};
  o.fd_map = {{3, fd}};
  return o;
}

bool HoldsSocket(pid_t pid, ino_t inode) {
  std::error_code ec;
  const std::string want = "socket:[" + std::to_string(inode) + "]";
  for (const auto& e : std::filesystem::directory_iterator(
           "/proc/" + std::to_string(pid) + "/fd", ec)) {
    if (std::filesystem::read_symlink(e.path(), ec).string() == want)
      return true;
  }
  return false;
}

TEST(SocketActivationTest, ServesThePassedSocketAndLeavesItsFileToItsMaker) {
  TempDir dir;
  const std::string path = dir.File("a.sock");
  base::Fd listener = Listen(path);
  const ino_t file = Inode(path);
  struct stat st {};
  ASSERT_EQ(::fstat(listener.get(), &st), 0);
  TqdProcess tqd(Activated("ipc://" + path, listener.get()));
  listener.Close();  // tqd's copy is the only one now
  ASSERT_TRUE(tqd.WaitReady()) << tqd.Log();
  EXPECT_EQ(Inode(path), file)
      << "tqd bound a socket of its own over the passed one";
  auto r = RunCommand(
      {BinPath("tq"), "--endpoint", "ipc://" + path, "call", "echo", "7"});
  EXPECT_EQ(r.code(), 0) << r.err << tqd.Log();
  EXPECT_EQ(r.out, "[7]\n");
  for (pid_t w : tqd.WorkerPids()) {
    EXPECT_FALSE(HoldsSocket(w, st.st_ino))
        << "worker " << w << " inherited the socket";
  }

  EXPECT_EQ(tqd.Terminate().code, 0) << tqd.Log();
  EXPECT_TRUE(std::filesystem::exists(path))
      << "systemd's socket file was removed";
  EXPECT_FALSE(std::filesystem::exists(path + ".lock"));
}

TEST(SocketActivationTest, StillRefusesToRunBesideAnotherTqdOnThePath) {
  TempDir dir;
  const std::string path = dir.File("a.sock");
  base::Fd listener = Listen(path);
  TqdProcess first(Activated("ipc://" + path, listener.get()));
  ASSERT_TRUE(first.WaitReady()) << first.Log();
  // A tqd started by hand on the same path would unlink and steal it.
  TqdOptions o;
  o.endpoint = "ipc://" + path;
  o.wait_ready = false;
  TqdProcess second(o);
  ASSERT_TRUE(WaitFor("the second tqd to exit", [&] {
    return second.Exited();
  })) << second.Log();
  EXPECT_NE(second.Log().find("another tqd (pid " +
                              std::to_string(first.pid()) + ")"),
            std::string::npos)
      << second.Log();
  RawConnection c("ipc://" + path);
  EXPECT_TRUE(c.Ping()) << first.Log();
}

// tqd exits 1 with `message` in its log.
void ExpectRefusal(TqdProcess& tqd, const std::string& message) {
  ASSERT_TRUE(WaitFor("tqd to exit", [&] { return tqd.Exited(); }))
      << tqd.Log();
  EXPECT_NE(tqd.Log().find(message), std::string::npos) << tqd.Log();
  EXPECT_TRUE(tqd.WorkerPids().empty());
}

TEST(SocketActivationTest, RefusesASocketBoundToAnotherPathThanTheEndpoint) {
  TempDir dir;
  base::Fd listener = Listen(dir.File("other.sock"));
  TqdProcess tqd(Activated("ipc://" + dir.File("s.sock"), listener.get()));
  ExpectRefusal(
      tqd,
      "cannot start: socket activation: systemd passed a socket bound to '" +
          dir.File("other.sock") + "', but the endpoint is ipc://" +
          dir.File("s.sock"));
}

TEST(SocketActivationTest, RefusesMoreThanOneSocket) {
  TempDir dir;
  base::Fd listener = Listen(dir.File("s.sock"));
  TqdProcess tqd(Activated("ipc://" + dir.File("s.sock"), listener.get(), "2"));
  ExpectRefusal(
      tqd,
      "socket activation: systemd passed LISTEN_FDS=2 sockets; tqd serves one");
}

TEST(SocketActivationTest, RefusesADatagramSocket) {
  TempDir dir;
  base::Fd listener = Listen(dir.File("s.sock"), SOCK_DGRAM);
  TqdProcess tqd(Activated("ipc://" + dir.File("s.sock"), listener.get()));
  ExpectRefusal(tqd, "fd 3 is not a listening unix stream socket");
}

TEST(SocketActivationTest, RefusesATcpEndpoint) {
  TempDir dir;
  base::Fd listener = Listen(dir.File("s.sock"));
  TqdProcess tqd(Activated("tcp://127.0.0.1:0", listener.get()));
  ExpectRefusal(tqd, "the endpoint tcp://127.0.0.1:0 is not ipc://");
}

TEST(SocketActivationTest, SocketsPassedToAnotherProcessAreNotTqds) {
  // LISTEN_PID names the shell's parent, not tqd: the variables were meant
  // for someone else, and tqd binds its own socket.
  TempDir dir;
  const std::string path = dir.File("s.sock");
  base::Fd listener = Listen(dir.File("other.sock"));
  TqdOptions o = Activated("ipc://" + path, listener.get());
  o.launcher = {"/bin/sh", "-c", "LISTEN_PID=$PPID exec \"$@\"", "sh"};
  TqdProcess tqd(o);
  ASSERT_TRUE(tqd.WaitReady()) << tqd.Log();
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0660u);
}

}  // namespace
}  // namespace tq
