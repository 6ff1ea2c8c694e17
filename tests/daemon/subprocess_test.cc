// Subprocess with real children: exit codes, signals, descriptor mapping,
// each spawn option (program, env, cwd, standard streams, closing other
// descriptors, process group), the clean signal state a child starts with,
// CPU times, and that no child outlives its owner unreaped.
#include "base/subprocess.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <limits.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "testing/temp_dir.h"
#include "testing/tqd_process.h"
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

// Runs `options` with the child's stdout on a pipe; returns what it
// printed once it exits 0 (the test fails otherwise).
std::string Output(SpawnOptions options) {
  Pipe out = MakePipe();
  options.child_stdout = Stdio::From(out.write.get());
  auto p = Subprocess::Spawn(options);
  if (!p.ok()) {
    ADD_FAILURE() << p.status().ToString();
    return "";
  }
  out.write.Close();  // so that EOF comes when the child exits
  std::string text = ReadAll(out.read.get());
  EXPECT_EQ(p->Wait().Describe(), "exited with code 0");
  return text;
}
std::string Output(std::vector<std::string> argv) {
  return Output(Options(std::move(argv)));
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

// ---- the options exec needs ------------------------------------------------

TEST(SubprocessTest, RunsProgramUnderTheNameArgvZeroGives) {
  SpawnOptions o = Options({"not-a-shell", "-c", "echo $0"});
  o.program = "/bin/sh";
  EXPECT_EQ(Output(o), "not-a-shell\n");
}

TEST(SubprocessTest, AFailedSpawnSaysWhatTheCallerWasDoing) {
  SpawnOptions o = Options({"/nonexistent/cmd"});
  o.error_prefix = "cannot run 'cmd'";
  auto p = Subprocess::Spawn(o);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), proto::ErrorCode::kIo);
  EXPECT_EQ(p.status().message(),
            "cannot run 'cmd': No such file or directory");
}

TEST(SubprocessTest, GivesTheChildExactlyTheEnvironmentItIsGiven) {
  SpawnOptions o = Options({"/usr/bin/env"});
  o.env = std::vector<std::string>{"A=1", "B=two words"};
  EXPECT_EQ(Output(o), "A=1\nB=two words\n");
  o.env = std::vector<std::string>{};
  EXPECT_EQ(Output(o), "");
}

TEST(SubprocessTest, InheritsOurEnvironmentByDefault) {
  ASSERT_EQ(::setenv("TQ_SUBPROCESS_TEST_VAR", "inherited", 1), 0);
  const std::string out =
      Output(Options({"/bin/sh", "-c", "echo $TQ_SUBPROCESS_TEST_VAR"}));
  ::unsetenv("TQ_SUBPROCESS_TEST_VAR");
  EXPECT_EQ(out, "inherited\n");
}

TEST(SubprocessTest, RunsTheChildInTheDirectoryItIsGiven) {
  testing::TempDir dir;
  ASSERT_EQ(::mkdir(dir.File("sub").c_str(), 0700), 0);
  SpawnOptions o = Options({"/bin/sh", "-c", "pwd -P"});
  o.cwd = dir.path();
  char real[PATH_MAX];
  ASSERT_NE(::realpath(dir.path().c_str(), real), nullptr);
  EXPECT_EQ(Output(o), std::string(real) + "\n");
  // Relative to ours, which the child's chdir does not change.
  char ours[PATH_MAX];
  ASSERT_NE(::getcwd(ours, sizeof ours), nullptr);
  o.cwd = std::filesystem::relative(dir.File("sub"), ours).string();
  EXPECT_EQ(Output(o), std::string(real) + "/sub\n");
  EXPECT_EQ(Output(Options({"/bin/sh", "-c", "pwd -P"})),
            std::filesystem::canonical(ours).string() + "\n");
}

TEST(SubprocessTest, FailsToSpawnIntoADirectoryThatIsMissing) {
  SpawnOptions o = Options({"/bin/true"});
  o.cwd = "/nonexistent/dir";
  auto p = Subprocess::Spawn(o);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().message(),
            "posix_spawn /bin/true: No such file or directory");
}

TEST(SubprocessTest, WiresStdinFromDevNull) {
  SpawnOptions o = Options({"/bin/sh", "-c", "cat; readlink /proc/self/fd/0"});
  o.child_stdin = Stdio::Null();
  EXPECT_EQ(Output(o), "/dev/null\n");
}

TEST(SubprocessTest, WiresStdoutAndStderrToDevNullOrToOurDescriptors) {
  Pipe err = MakePipe();
  Pipe report = MakePipe();
  SpawnOptions o = Options(
      {"/bin/sh", "-c",
       "echo lost; echo to-err >&2; o=$(readlink /proc/$$/fd/1); echo $o >&3"},
      {{3, report.write.get()}});
  o.child_stdout = Stdio::Null();
  o.child_stderr = Stdio::From(err.write.get());
  auto p = Subprocess::Spawn(o);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  err.write.Close();
  report.write.Close();
  EXPECT_EQ(ReadAll(report.read.get()), "/dev/null\n");
  EXPECT_EQ(ReadAll(err.read.get()), "to-err\n");
  EXPECT_EQ(p->Wait().code, 0);
}

TEST(SubprocessTest, WiresStdinFromOneOfOurDescriptors) {
  Pipe in = MakePipe();
  SpawnOptions o = Options({"/bin/cat"});
  o.child_stdin = Stdio::From(in.read.get());
  Pipe out = MakePipe();
  o.child_stdout = Stdio::From(out.write.get());
  auto p = Subprocess::Spawn(o);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  in.read.Close();
  out.write.Close();
  ASSERT_EQ(::write(in.write.get(), "fed\n", 4), 4);
  in.write.Close();
  EXPECT_EQ(ReadAll(out.read.get()), "fed\n");
  EXPECT_EQ(p->Wait().code, 0);
}

TEST(SubprocessTest, RefusesADescriptorWiredTwice) {
  Pipe pipe = MakePipe();
  SpawnOptions o = Options({"/bin/true"}, {{1, pipe.write.get()}});
  o.child_stdout = Stdio::Null();
  auto p = Subprocess::Spawn(o);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), proto::ErrorCode::kConfig);
  EXPECT_NE(p.status().message().find("child fd 1 is wired twice"),
            std::string::npos)
      << p.status().message();

  o = Options({"/bin/true"}, {{5, pipe.write.get()}, {5, pipe.read.get()}});
  EXPECT_EQ(Subprocess::Spawn(o).status().code(), proto::ErrorCode::kConfig);
}

TEST(SubprocessTest, SendsOneSourceToTwoTargets) {
  Pipe pipe = MakePipe();
  SpawnOptions o = Options({"/bin/sh", "-c", "echo out; echo err >&2"});
  o.child_stdout = Stdio::From(pipe.write.get());
  o.child_stderr = Stdio::From(pipe.write.get());
  auto p = Subprocess::Spawn(o);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  pipe.write.Close();
  EXPECT_EQ(ReadAll(pipe.read.get()), "out\nerr\n");
  EXPECT_EQ(p->Wait().code, 0);
}

// A descriptor of ours without O_CLOEXEC, at a number of our choosing.
Fd Inheritable(int at_least) {
  Pipe pipe = MakePipe();
  const int fd = ::fcntl(pipe.read.get(), F_DUPFD, at_least);
  EXPECT_GE(fd, at_least);
  return Fd(fd);
}

TEST(SubprocessTest, ClosesEveryOtherDescriptorWhenAskedEvenInheritableOnes) {
  // One below the mapped target (a gap) and one above it.
  Fd low = Inheritable(10);
  const int target = low.get() + 5;
  Fd high = Inheritable(target + 10);
  Pipe report = MakePipe();
  // Looked at before any redirection, which would open descriptors of its
  // own (and dash redirects only 0-9: the report goes through /proc).
  const std::string check =
      "r=; for fd in " + std::to_string(low.get()) + " " +
      std::to_string(high.get()) + "; do [ -e /proc/$$/fd/$fd ] && " +
      "r=\"$r open $fd\"; done; echo $r end >/proc/$$/fd/" +
      std::to_string(target);
  SpawnOptions o =
      Options({"/bin/sh", "-c", check}, {{target, report.write.get()}});
  o.close_other_fds = true;
  auto p = Subprocess::Spawn(o);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  report.write.Close();
  EXPECT_EQ(ReadAll(report.read.get()), "end\n");
  EXPECT_EQ(p->Wait().code, 0);

  // Without it they survive: that is what O_CLOEXEC is for.
  report = MakePipe();
  o = Options({"/bin/sh", "-c", check}, {{target, report.write.get()}});
  p = Subprocess::Spawn(o);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  report.write.Close();
  EXPECT_EQ(ReadAll(report.read.get()),
            "open " + std::to_string(low.get()) + " open " +
                std::to_string(high.get()) + " end\n");
  EXPECT_EQ(p->Wait().code, 0);
}

// The Sig* masks of a live process, from /proc/PID/status.
std::uint64_t Mask(pid_t pid, const std::string& name) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with(name + ":")) {
      return std::stoull(line.substr(name.size() + 1), nullptr, 16);
    }
  }
  ADD_FAILURE() << "no " << name << " in /proc/" << pid << "/status";
  return ~std::uint64_t{0};
}

void OnUsr2(int) {}

TEST(SubprocessTest, ResetsSignalsWeIgnoreOrHandleToTheDefaultInTheChild) {
  ScopedDaemonSignalState daemon_like;  // SIGTERM blocked, SIGUSR1 ignored
  struct sigaction handle = {};
  handle.sa_handler = OnUsr2;
  struct sigaction old_usr2 = {};
  ASSERT_EQ(::sigaction(SIGUSR2, &handle, &old_usr2), 0);
  struct sigaction ignore = {};
  ignore.sa_handler = SIG_IGN;
  struct sigaction old_hup = {};
  ASSERT_EQ(::sigaction(SIGHUP, &ignore, &old_hup), 0);
  ASSERT_TRUE(Mask(::getpid(), "SigIgn") & Bit(SIGHUP));
  ASSERT_TRUE(Mask(::getpid(), "SigCgt") & Bit(SIGUSR2));

  // sleep installs no handler of its own, and Spawn returns once it has
  // exec'd: what its status shows is what it started with.
  auto p = Subprocess::Spawn(Options({"/bin/sleep", "60"}));
  ::sigaction(SIGUSR2, &old_usr2, nullptr);
  ::sigaction(SIGHUP, &old_hup, nullptr);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(Mask(p->pid(), "SigIgn") & kStandardSignals, 0u);
  EXPECT_EQ(Mask(p->pid(), "SigCgt") & kStandardSignals, 0u);
  EXPECT_EQ(Mask(p->pid(), "SigBlk"), 0u);
}

TEST(SubprocessTest, SeesAnExitWithoutReapingSoTheGroupStaysReserved) {
  Pipe hold = MakePipe();
  auto p = Subprocess::Spawn(
      Options({"/bin/sh", "-c", "read x"}, {{0, hold.read.get()}}));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_FALSE(p->HasExited());
  hold.write.Close();
  ASSERT_TRUE(testing::WaitFor([&] { return p->HasExited(); }))
      << "the child did not exit after its stdin closed";
  // Still a zombie: its pid is ours to reap, and HasExited stays true.
  EXPECT_TRUE(p->running());
  EXPECT_EQ(::kill(p->pid(), 0), 0);
  EXPECT_TRUE(p->HasExited());
  EXPECT_TRUE(p->TryReap());
  EXPECT_TRUE(p->HasExited());
}

TEST(SubprocessTest, KillGroupReachesAGrandchildInTheChildsGroup) {
  Pipe report = MakePipe();
  auto p = Subprocess::Spawn(
      Options({"/bin/sh", "-c", "sleep 60 3>&- & echo $! >&3; exec 3>&-; wait"},
              {{3, report.write.get()}}));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  report.write.Close();
  const pid_t grandchild = std::atoi(ReadAll(report.read.get()).c_str());
  ASSERT_GT(grandchild, 0);
  EXPECT_EQ(::getpgid(grandchild), p->pid());
  p->KillGroup(SIGKILL);
  EXPECT_EQ(p->Wait().signal, SIGKILL);
  EXPECT_TRUE(testing::WaitFor([&] {
    return !testing::ProcessAlive(grandchild);
  })) << "grandchild "
      << grandchild << " survived its group's SIGKILL";
  p->KillGroup(SIGKILL);  // reaped: the id may belong to someone else now
}

TEST(SubprocessTest, KillGroupDoesNothingToAChildInOurGroup) {
  SpawnOptions o = Options({"/bin/sleep", "60"});
  o.new_process_group = false;
  auto p = Subprocess::Spawn(o);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  p->KillGroup(SIGKILL);  // would kill this test too, were it sent
  EXPECT_FALSE(p->TryReap());
  EXPECT_TRUE(p->running());
}

// Microseconds from a dash `times` field such as "0m0.340000s".
std::int64_t TimesField(const std::string& field) {
  const std::size_t m = field.find('m');
  const std::size_t dot = field.find('.');
  std::string fraction = field.substr(dot + 1, field.size() - dot - 2);
  fraction.resize(6, '0');
  return (std::stoll(field.substr(0, m)) * 60 +
          std::stoll(field.substr(m + 1, dot - m - 1))) *
             1'000'000 +
         std::stoll(fraction);
}

// A shell that spins until times(2) says it has used 100 ms of user time,
// then writes that line of `times` (user and system time) to fd 3. It
// forks nothing: every command in it is a dash builtin.
constexpr const char* kBurn100ms =
    "while :; do i=0; while [ $i -lt 1000 ]; do i=$((i + 1)); done; "
    "times >times.out; read u s <times.out; "
    "case $u in 0m0.0*) ;; *) break ;; esac; done; echo $u $s >&3";

TEST(SubprocessTest, ReportsAtLeastTheCpuTimeTheChildSawItselfUse) {
  testing::TempDir dir;
  Pipe report = MakePipe();
  SpawnOptions o =
      Options({"/bin/sh", "-c", kBurn100ms}, {{3, report.write.get()}});
  o.cwd = dir.path();
  const auto start = std::chrono::steady_clock::now();
  auto p = Subprocess::Spawn(o);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  report.write.Close();
  std::istringstream seen(ReadAll(report.read.get()));
  std::string user, system;
  seen >> user >> system;
  EXPECT_FALSE(p->cpu_time());  // not before it is reaped
  EXPECT_EQ(p->Wait().code, 0);
  const auto wall = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(p->cpu_time());
  const CpuTime& t = *p->cpu_time();
  // Measured later, from the same clock: at least what the child saw.
  EXPECT_GE(t.user.count(), TimesField(user)) << user;
  EXPECT_GE(t.system.count(), TimesField(system)) << system;
  EXPECT_GE(t.user, std::chrono::milliseconds(100));
  // One process with one thread cannot use more CPU than time passed.
  EXPECT_LE(t.user + t.system, wall);
}

}  // namespace
}  // namespace tq::base
