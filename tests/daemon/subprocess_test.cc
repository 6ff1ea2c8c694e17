// Subprocess with real children: exit codes, signals, descriptor mapping,
// the clean signal state a child starts with, and that no child outlives
// its owner unreaped.
#include "base/subprocess.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "testing/wait_for.h"

namespace tq::base {
namespace {

SpawnOptions Options(std::vector<std::string> argv,
                     std::vector<std::pair<int, int>> fd_map = {}) {
  SpawnOptions o;
  o.argv = std::move(argv);
  o.fd_map = std::move(fd_map);
  return o;
}

Pipe MakePipe() {
  Result<Pipe> p = Pipe::Create();
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  return p.ok() ? std::move(p).value() : Pipe{};
}

// Reads `fd` until EOF.
std::string ReadAll(int fd) {
  std::string out;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      out.append(buf, static_cast<std::size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      return out;
    }
  }
}

// Runs `argv` with its stdout on a pipe; returns what it printed once it
// exits 0 (the test fails otherwise).
std::string Output(std::vector<std::string> argv) {
  Pipe out = MakePipe();
  auto p = Subprocess::Spawn(Options(std::move(argv), {{1, out.write.get()}}));
  if (!p.ok()) {
    ADD_FAILURE() << p.status().ToString();
    return "";
  }
  out.write.Close();  // so that EOF comes when the child exits
  std::string text = ReadAll(out.read.get());
  EXPECT_EQ(p->Wait().Describe(), "exited with code 0");
  return text;
}

// True once `pid` no longer exists, not even as a zombie.
bool Gone(pid_t pid) { return ::kill(pid, 0) < 0 && errno == ESRCH; }

TEST(SubprocessTest, ReportsTheExitCodeOfAChild) {
  auto p = Subprocess::Spawn(Options({"/bin/sh", "-c", "exit 3"}));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  const ExitStatus s = p->Wait();
  EXPECT_FALSE(s.signaled);
  EXPECT_EQ(s.code, 3);
  EXPECT_FALSE(p->running());
  ASSERT_TRUE(p->exit_status());
  EXPECT_EQ(p->exit_status()->code, 3);
}

TEST(SubprocessTest, ReportsAChildKilledBySigkill) {
  auto p = Subprocess::Spawn(Options({"/bin/sleep", "60"}));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_TRUE(p->running());
  p->Kill(SIGKILL);
  const ExitStatus s = p->Wait();
  EXPECT_TRUE(s.signaled);
  EXPECT_EQ(s.signal, 9);
  EXPECT_EQ(s.Describe(), "killed by signal 9 (SIGKILL)");
}

TEST(SubprocessTest, TryReapReapsAChildOnlyOnceItHasExited) {
  Pipe hold = MakePipe();
  // The child exits when its stdin reaches EOF, i.e. when we say so.
  auto p = Subprocess::Spawn(
      Options({"/bin/sh", "-c", "read x; exit 7"}, {{0, hold.read.get()}}));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_FALSE(p->TryReap());
  EXPECT_TRUE(p->running());
  hold.write.Close();
  ASSERT_TRUE(testing::WaitFor([&] { return p->TryReap(); }))
      << "child did not exit after its stdin closed";
  EXPECT_EQ(p->exit_status()->code, 7);
  EXPECT_TRUE(p->TryReap());  // stays reaped
}

TEST(SubprocessTest, FailsToSpawnAMissingProgram) {
  auto p = Subprocess::Spawn(Options({"/nonexistent/tq-worker"}));
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), proto::ErrorCode::kIo);
  EXPECT_EQ(p.status().message(),
            "posix_spawn /nonexistent/tq-worker: No such file or directory");
}

TEST(SubprocessTest, RefusesAnEmptyArgv) {
  auto p = Subprocess::Spawn(Options({}));
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("argv is empty"), std::string::npos);
}

TEST(SubprocessTest, MapsAPipeOntoFd3InTheChild) {
  Pipe pipe = MakePipe();
  auto p = Subprocess::Spawn(
      Options({"/bin/sh", "-c", "echo hi >&3"}, {{3, pipe.write.get()}}));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  pipe.write.Close();
  EXPECT_EQ(ReadAll(pipe.read.get()), "hi\n");
  EXPECT_EQ(p->Wait().code, 0);
}

TEST(SubprocessTest, MapsDescriptorsWhoseTargetsAreEachOthersSources) {
  // Child fd a gets our b and child fd b gets our a: dup2 in order would
  // clobber one source before it is used.
  Pipe pa = MakePipe();
  Pipe pb = MakePipe();
  const int a = pa.write.get();
  const int b = pb.write.get();
  const std::string script = "echo to-b >/proc/self/fd/" + std::to_string(a) +
                             "; echo to-a >/proc/self/fd/" + std::to_string(b);
  auto p =
      Subprocess::Spawn(Options({"/bin/sh", "-c", script}, {{a, b}, {b, a}}));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  pa.write.Close();
  pb.write.Close();
  EXPECT_EQ(ReadAll(pa.read.get()), "to-a\n");
  EXPECT_EQ(ReadAll(pb.read.get()), "to-b\n");
  EXPECT_EQ(p->Wait().code, 0);
}

TEST(SubprocessTest, LeavesOnlyTheMappedDescriptorsOpenInTheChild) {
  Pipe pipe = MakePipe();
  Pipe unmapped = MakePipe();
  // Neither end of `unmapped` may reach the child, nor the copy Spawn makes
  // of each source (at 64 or above). The child reports any that is open.
  std::string fds = "64 65";
  for (int fd : {unmapped.read.get(), unmapped.write.get()}) {
    if (fd != 3) fds.append(" ").append(std::to_string(fd));
  }
  const std::string check = "for fd in " + fds +
                            "; do [ -e /proc/self/fd/$fd ] && echo open $fd; "
                            "done >&3; echo end >&3";
  auto p = Subprocess::Spawn(
      Options({"/bin/sh", "-c", check}, {{3, pipe.write.get()}}));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  pipe.write.Close();
  EXPECT_EQ(ReadAll(pipe.read.get()), "end\n");
  EXPECT_EQ(p->Wait().code, 0);
}

// Blocks SIGTERM and ignores SIGUSR1 in this thread until destroyed: the
// state tqd has when it spawns workers, which a child must not inherit.
class ScopedDaemonSignalState {
 public:
  ScopedDaemonSignalState() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, &old_mask_);
    struct sigaction ignore = {};
    ignore.sa_handler = SIG_IGN;
    sigaction(SIGUSR1, &ignore, &old_usr1_);
  }
  ~ScopedDaemonSignalState() {
    sigaction(SIGUSR1, &old_usr1_, nullptr);
    pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
  }
  ScopedDaemonSignalState(const ScopedDaemonSignalState&) = delete;
  ScopedDaemonSignalState& operator=(const ScopedDaemonSignalState&) = delete;

 private:
  sigset_t old_mask_;
  struct sigaction old_usr1_;
};

// The SigBlk and SigIgn masks in /proc/PID/status, as numbers.
struct SignalMasks {
  std::uint64_t blocked = 0;
  std::uint64_t ignored = 0;
};
SignalMasks ParseMasks(const std::string& status) {
  SignalMasks m;
  std::istringstream in(status);
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("SigBlk:"))
      m.blocked = std::stoull(line.substr(7), nullptr, 16);
    if (line.starts_with("SigIgn:"))
      m.ignored = std::stoull(line.substr(7), nullptr, 16);
  }
  return m;
}
constexpr std::uint64_t Bit(int signal) {
  return std::uint64_t{1} << (signal - 1);
}
// Signals 1..31. glibc's posix_spawn itself leaves its internal signals
// (32 and 33) ignored in every child, whatever the attributes say.
constexpr std::uint64_t kStandardSignals = Bit(32) - 1;

TEST(SubprocessTest, StartsTheChildWithAnEmptyMaskAndDefaultDispositions) {
  ScopedDaemonSignalState daemon_like;
  const std::vector<std::string> grep = {"/bin/grep", "-E", "^Sig(Blk|Ign)"};
  std::vector<std::string> ours = grep;
  ours.push_back("/proc/" + std::to_string(::getpid()) + "/status");
  std::vector<std::string> childs = grep;
  childs.push_back("/proc/self/status");

  // Check the setup took, or the child's clean state would prove nothing.
  const SignalMasks parent = ParseMasks(Output(ours));
  ASSERT_TRUE(parent.blocked & Bit(SIGTERM));
  ASSERT_TRUE(parent.ignored & Bit(SIGUSR1));

  const SignalMasks child = ParseMasks(Output(childs));
  EXPECT_EQ(child.blocked, 0u);
  EXPECT_EQ(child.ignored & kStandardSignals, 0u);
}

TEST(SubprocessTest, KillsAndReapsItsChildWhenDestroyed) {
  pid_t pid = -1;
  {
    auto p = Subprocess::Spawn(Options({"/bin/sleep", "60"}));
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    pid = p->pid();
    ASSERT_FALSE(Gone(pid));
  }
  // Reaped, not just killed: a zombie would still answer kill(pid, 0).
  EXPECT_TRUE(Gone(pid));
  EXPECT_EQ(::waitpid(pid, nullptr, WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD);
}

TEST(SubprocessTest, KillsAndReapsTheOldChildWhenAssignedOver) {
  auto first = Subprocess::Spawn(Options({"/bin/sleep", "60"}));
  auto second = Subprocess::Spawn(Options({"/bin/sleep", "60"}));
  ASSERT_TRUE(first.ok() && second.ok());
  const pid_t old_pid = first->pid();
  const pid_t new_pid = second->pid();
  *first = std::move(*second);
  EXPECT_TRUE(Gone(old_pid));
  EXPECT_EQ(first->pid(), new_pid);
  EXPECT_TRUE(first->running());
  EXPECT_FALSE(second->running());  // moved from: owns nothing
}

TEST(SubprocessTest, PutsTheChildInItsOwnProcessGroupByDefault) {
  auto p = Subprocess::Spawn(Options({"/bin/sleep", "60"}));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(::getpgid(p->pid()), p->pid());
}

TEST(SubprocessTest, KeepsTheChildInOurProcessGroupWhenAsked) {
  SpawnOptions o = Options({"/bin/sleep", "60"});
  o.new_process_group = false;
  auto p = Subprocess::Spawn(o);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(::getpgid(p->pid()), ::getpgrp());
}

}  // namespace
}  // namespace tq::base
