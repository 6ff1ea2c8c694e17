// EndpointLock: one tqd per ipc:// path, files cleaned up by their owner
// only, and a lock that dies with the process holding it.
#include "endpoint_lock.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "base/subprocess.h"
#include "testing/temp_dir.h"

namespace tq::daemon {
namespace {

namespace fs = std::filesystem;

std::string Contents(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void Touch(const std::string& path) { std::ofstream(path).put('x'); }

TEST(EndpointLockTest, RefusesASecondHolderNamingTheFirstOnesPid) {
  testing::TempDir dir;
  const std::string sock = dir.File("s.sock");
  auto first = EndpointLock::Acquire(sock);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  auto second = EndpointLock::Acquire(sock);
  ASSERT_FALSE(second.ok());
  const std::string msg = second.status().message();
  EXPECT_NE(msg.find("already serving ipc://" + sock), std::string::npos)
      << msg;
  EXPECT_NE(msg.find("pid " + std::to_string(::getpid())), std::string::npos)
      << msg;
}

TEST(EndpointLockTest, WritesItsPidIntoTheLockFile) {
  testing::TempDir dir;
  auto lock = EndpointLock::Acquire(dir.File("s.sock"));
  ASSERT_TRUE(lock.ok()) << lock.status().ToString();
  EXPECT_EQ(Contents(dir.File("s.sock.lock")),
            std::to_string(::getpid()) + "\n");
}

TEST(EndpointLockTest, FailedAcquireLeavesTheHoldersFilesAlone) {
  testing::TempDir dir;
  const std::string sock = dir.File("s.sock");
  auto first = EndpointLock::Acquire(sock);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  Touch(sock);  // stands in for the bound socket
  { EXPECT_FALSE(EndpointLock::Acquire(sock).ok()); }
  EXPECT_TRUE(fs::exists(sock));
  EXPECT_TRUE(fs::exists(sock + ".lock"));
  EXPECT_FALSE(EndpointLock::Acquire(sock).ok()) << "the lock was lost";
}

TEST(EndpointLockTest, RemovesItsFilesAndFreesThePathWhenDestroyed) {
  testing::TempDir dir;
  const std::string sock = dir.File("s.sock");
  {
    auto lock = EndpointLock::Acquire(sock);
    ASSERT_TRUE(lock.ok()) << lock.status().ToString();
    Touch(sock);
  }
  EXPECT_FALSE(fs::exists(sock));
  EXPECT_FALSE(fs::exists(sock + ".lock"));
  auto again = EndpointLock::Acquire(sock);
  EXPECT_TRUE(again.ok()) << again.status().ToString();
}

TEST(EndpointLockTest, LeavesASocketFileSystemdMadeInPlaceButRemovesItsLock) {
  testing::TempDir dir;
  const std::string sock = dir.File("s.sock");
  Touch(sock);  // stands in for tqd.socket's ListenStream=
  {
    auto lock = EndpointLock::Acquire(sock, EndpointLock::SocketFile::kSystemds);
    ASSERT_TRUE(lock.ok()) << lock.status().ToString();
    EXPECT_FALSE(EndpointLock::Acquire(sock).ok()) << "a second tqd could bind over it";
  }
  EXPECT_TRUE(fs::exists(sock)) << "systemd's socket file was removed";
  EXPECT_FALSE(fs::exists(sock + ".lock"));
}

TEST(EndpointLockTest, MovedFromLockNeitherRemovesFilesNorReleases) {
  testing::TempDir dir;
  const std::string sock = dir.File("s.sock");
  auto acquired = EndpointLock::Acquire(sock);
  ASSERT_TRUE(acquired.ok()) << acquired.status().ToString();
  {
    EndpointLock moved_from = std::move(acquired.value());
    EndpointLock owner = std::move(moved_from);
    // moved_from dies first, then owner. Check while owner holds it.
    EXPECT_TRUE(fs::exists(sock + ".lock"));
    EXPECT_FALSE(EndpointLock::Acquire(sock).ok());
  }
  EXPECT_FALSE(fs::exists(sock + ".lock"));
}

TEST(EndpointLockTest, CreatesMissingParentDirectories) {
  testing::TempDir dir;
  const std::string sock = dir.File("a/b/c/s.sock");
  auto lock = EndpointLock::Acquire(sock);
  ASSERT_TRUE(lock.ok()) << lock.status().ToString();
  EXPECT_TRUE(fs::is_directory(dir.File("a/b/c")));
  EXPECT_TRUE(fs::exists(sock + ".lock"));
}

// Reads up to and including the first '\n' on `fd`; less at EOF.
std::string ReadLine(int fd) {
  std::string line;
  char c;
  while (line.empty() || line.back() != '\n') {
    const ssize_t n = ::read(fd, &c, 1);
    if (n == 0 || (n < 0 && errno != EINTR)) break;
    if (n == 1) line += c;
  }
  return line;
}

TEST(EndpointLockTest, IsFreedWhenTheHoldingProcessDies) {
  testing::TempDir dir;
  const std::string sock = dir.File("s.sock");
  // One process holds the lock: the shell opens the lock file on fd 9,
  // flock(1) locks that open file and exits, and `sleep` inherits it. The
  // shell reports success with a builtin, so no other process has fd 9 by
  // the time we hear it.
  auto ready = base::Pipe::Create();
  ASSERT_TRUE(ready.ok()) << ready.status().ToString();
  base::SpawnOptions o;
  o.argv = {"/bin/sh", "-c",
            "exec 9>>" + sock +
                ".lock && /usr/bin/flock -n 9 && "
                "echo locked >&3 && exec /bin/sleep 60"};
  o.fd_map = {{3, ready->write.get()}};
  auto holder = base::Subprocess::Spawn(o);
  ASSERT_TRUE(holder.ok()) << holder.status().ToString();
  ready->write.Close();
  ASSERT_EQ(ReadLine(ready->read.get()), "locked\n");
  EXPECT_FALSE(EndpointLock::Acquire(sock).ok());

  holder->Kill(SIGKILL);
  holder->Wait();
  auto lock = EndpointLock::Acquire(sock);
  EXPECT_TRUE(lock.ok()) << lock.status().ToString();
}

}  // namespace
}  // namespace tq::daemon
