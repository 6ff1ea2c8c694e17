// The exec builtin against a real tqd and real workers: what a command
// gets (argv, shell, cwd, env, stdin), what comes back (status, capped
// output, times), that every way of ending it ends its whole process group,
// and the policy (--exec off, --exec-allow, the TOML keys).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <tq/client.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include "testing/temp_dir.h"
#include "testing/remote_error.h"
#include "testing/tqd_process.h"
#include "testing/wait_for.h"

namespace tq {
namespace {

using namespace std::chrono_literals;
using testing::TqdOptions;
using testing::TqdProcess;
using testing::WaitFor;

// exec's argument map. Empty optionals pack as nil, which exec takes as
// an absent key.
struct ExecArgs {
  std::vector<std::string> argv;
  std::optional<bool> shell;
  std::optional<std::string> cwd;
  std::optional<std::map<std::string, std::string>> env;
  std::optional<std::vector<char>> input;  // "stdin", as bin
  std::optional<std::uint64_t> timeout_ms;
  std::optional<std::uint64_t> max_output;
  MSGPACK_DEFINE_MAP(argv, shell, cwd, env, MSGPACK_NVP("stdin", input),
                     timeout_ms, max_output)
};

struct ExecResult {
  std::optional<int> exit_code;
  std::optional<int> signal;
  bool timed_out = false;
  std::string out;
  std::string err;
  bool stdout_truncated = false;
  bool stderr_truncated = false;
  double wall_ms = -1;
  double user_ms = -1;
  double sys_ms = -1;
  MSGPACK_DEFINE_MAP(exit_code, signal, timed_out, MSGPACK_NVP("stdout", out),
                     MSGPACK_NVP("stderr", err), stdout_truncated,
                     stderr_truncated, wall_ms, user_ms, sys_ms)
};

ExecArgs Shell(std::string command) {
  ExecArgs a;
  a.argv = {std::move(command)};
  a.shell = true;
  return a;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The path that exec's PATH search finds for `name` on the default PATH.
std::string Which(const std::string& name) {
  for (const char* dir : {"/usr/bin", "/bin"}) {
    const std::string p = std::string(dir) + "/" + name;
    if (::access(p.c_str(), X_OK) == 0) return p;
  }
  return name;
}

class ExecTest : public ::testing::Test {
 protected:
  // The pids a command wrote to `file` ("$$ $!"), once it has.
  std::vector<pid_t> PidsIn(const std::string& file) {
    std::vector<pid_t> pids;
    EXPECT_TRUE(WaitFor([&] {
      std::istringstream in(ReadFile(file));
      pids.clear();
      for (pid_t p; in >> p;) pids.push_back(p);
      return pids.size() == 2;
    })) << "the command did not write its pids to "
        << file;
    for (pid_t p : pids) started_.push_back(p);
    return pids;
  }

  // Every process of the command is gone (or a zombie nobody reaped yet).
  void ExpectAllGone(const std::vector<pid_t>& pids) {
    for (pid_t p : pids) {
      EXPECT_TRUE(WaitFor([&] { return !testing::ProcessAlive(p); }))
          << "process " << p << " of the command is still running";
    }
  }

  void TearDown() override {
    for (pid_t p : started_) {
      if (testing::ProcessAlive(p)) ::kill(p, SIGKILL);
    }
  }

  // A command that starts a grandchild and waits for it; it writes both
  // pids to `file` first.
  ExecArgs WithGrandchild(const std::string& file) {
    return Shell("sleep 100 & echo $$ $! > " + file + "; wait");
  }

  testing::TempDir dir_;
  std::vector<pid_t> started_;  // killed at tear-down if a test failed
};

// ---- what the command gets -------------------------------------------------

TEST_F(ExecTest, RunsArgvWithoutAShellSoArgumentsStayLiteral) {
  TqdProcess tqd;
  Client client(tqd.endpoint());
  ExecArgs a;
  a.argv = {"printf", "%s|%s|%s", "a b", "$HOME", "*"};
  const auto r = client.apply<ExecResult>("exec", a);
  EXPECT_EQ(r.out, "a b|$HOME|*");
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.signal, std::nullopt);
  EXPECT_FALSE(r.timed_out);
  EXPECT_FALSE(r.stdout_truncated);
  EXPECT_FALSE(r.stderr_truncated);
}

TEST_F(ExecTest, RunsACommandLineThroughBinShWhenShellIsTrue) {
  TqdProcess tqd;
  Client client(tqd.endpoint());
  const auto r = client.apply<ExecResult>(
      "exec", Shell("echo $((1 + 2)) | tr 3 x; echo oops >&2"));
  EXPECT_EQ(r.out, "x\n");
  EXPECT_EQ(r.err, "oops\n");
  EXPECT_EQ(r.exit_code, 0);
}

TEST_F(ExecTest, RunsInTheGivenCwdWithTheGivenEnvironmentAdditions) {
  TqdProcess tqd;
  Client client(tqd.endpoint());
  ExecArgs a = Shell("pwd; echo \"$TQ_EXEC_TEST|$HOME\"; echo data > here.txt");
  a.cwd = dir_.path();
  a.env = std::map<std::string, std::string>{{"TQ_EXEC_TEST", "given"},
                                             {"HOME", "/nowhere"}};
  const auto r = client.apply<ExecResult>("exec", a);
  EXPECT_EQ(r.out, std::filesystem::canonical(dir_.path()).string() +
                       "\ngiven|/nowhere\n");
  EXPECT_EQ(ReadFile(dir_.File("here.txt")), "data\n");
}

TEST_F(ExecTest, SearchesTheCommandsOwnPathForAProgramWithoutASlash) {
  TqdProcess tqd;
  Client client(tqd.endpoint());
  const std::string script = dir_.File("tq-exec-hello");
  std::ofstream(script) << "#!/bin/sh\necho \"hello from $0\"\n";
  ::chmod(script.c_str(), 0755);
  ExecArgs a;
  a.argv = {"tq-exec-hello"};
  a.env = std::map<std::string, std::string>{
      {"PATH", "/nonexistent:" + dir_.path()}};
  EXPECT_EQ(client.apply<ExecResult>("exec", a).out,
            "hello from " + script + "\n");
}

TEST_F(ExecTest, FeedsStdinLargerThanAPipeWhileReadingOutput) {
  TqdProcess tqd;
  Client client(tqd.endpoint());
  std::vector<char> input(1 << 20);
  for (std::size_t i = 0; i < input.size(); ++i) {
    input[i] = static_cast<char>((i * 7919) >> 3);  // NULs included
  }
  ExecArgs a;
  a.argv = {"cat"};
  a.input = input;
  a.max_output = 2 << 20;
  const auto r = client.apply<ExecResult>("exec", a);
  EXPECT_EQ(r.exit_code, 0);
  ASSERT_EQ(r.out.size(), input.size());
  EXPECT_TRUE(std::equal(input.begin(), input.end(), r.out.begin()));
  EXPECT_FALSE(r.stdout_truncated);

  // Without stdin, the command reads /dev/null.
  ExecArgs none;
  none.argv = {"wc", "-c"};
  EXPECT_EQ(client.apply<ExecResult>("exec", none).out, "0\n");
}

// ---- what comes back -------------------------------------------------------

TEST_F(ExecTest, ANonZeroExitIsASuccessfulTaskWithTheExitCode) {
  TqdProcess tqd;
  Client client(tqd.endpoint());
  auto r = client.apply_async<ExecResult>("exec", Shell("exit 3"));
  EXPECT_EQ(r.get(60s).exit_code, 3);
  EXPECT_EQ(r.outcome().state, TaskState::kDone);
  EXPECT_EQ(r.get().signal, std::nullopt);
}

TEST_F(ExecTest, ACommandKilledByASignalReportsTheSignalAndNoExitCode) {
  TqdProcess tqd;
  Client client(tqd.endpoint());
  const auto r = client.apply<ExecResult>("exec", Shell("kill -9 $$"));
  EXPECT_EQ(r.signal, SIGKILL);
  EXPECT_EQ(r.exit_code, std::nullopt);
  EXPECT_FALSE(r.timed_out);
}

TEST_F(ExecTest, StdoutAndStderrAreCappedAtMaxOutputWithTruncatedFlags) {
  TqdProcess tqd;
  Client client(tqd.endpoint());
  ExecArgs a = Shell("printf 0123456789; printf abcdefghij >&2");
  a.max_output = 4;
  auto r = client.apply<ExecResult>("exec", a);
  EXPECT_EQ(r.out, "0123");
  EXPECT_EQ(r.err, "abcd");
  EXPECT_TRUE(r.stdout_truncated);
  EXPECT_TRUE(r.stderr_truncated);
  EXPECT_EQ(r.exit_code, 0);  // it was not blocked or killed

  a.max_output = 10;  // exactly full is not truncated
  r = client.apply<ExecResult>("exec", a);
  EXPECT_EQ(r.out, "0123456789");
  EXPECT_FALSE(r.stdout_truncated);
  EXPECT_FALSE(r.stderr_truncated);
}

TEST_F(ExecTest, FiftyMebibytesOfOutputAreDrainedAndCappedAtTheDefault) {
  TqdProcess tqd;
  Client client(tqd.endpoint());
  const auto r = client.apply_async<ExecResult>(
      "exec",
      Shell("head -c 52428800 /dev/zero; head -c 52428800 /dev/zero >&2"));
  const ExecResult v = r.get(100s);  // a guard against a hang, not a bound
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_EQ(v.out, std::string(1 << 20, '\0'));
  EXPECT_EQ(v.err.size(), 1u << 20);
  EXPECT_TRUE(v.stdout_truncated);
  EXPECT_TRUE(v.stderr_truncated);
  // The worker is free for the next task.
  EXPECT_EQ(client.apply<ExecResult>("exec", Shell("echo next")).out, "next\n");
}

TEST_F(ExecTest, ReportsCpuTimeBetweenWhatTheCommandSawAndItsWallTime) {
  TqdProcess tqd;
  Client client(tqd.endpoint());
  // dash spins until times(2) says it has used 100 ms of user time, then
  // prints that line of `times`. Every command in it is a builtin: one
  // process, one thread, nothing forked.
  ExecArgs busy_args = Shell(
      "while :; do i=0; while [ $i -lt 1000 ]; do i=$((i + 1)); done; "
      "times >t; read u s <t; case $u in 0m0.0*) ;; *) break ;; esac; "
      "done; echo $u $s");
  busy_args.cwd = dir_.path();
  const auto busy = client.apply<ExecResult>("exec", busy_args);
  ASSERT_EQ(busy.exit_code, 0) << busy.err;
  int user_min = 0, sys_min = 0;
  double user_s = 0, sys_s = 0;
  ASSERT_EQ(std::sscanf(busy.out.c_str(), "%dm%lfs %dm%lfs", &user_min, &user_s,
                        &sys_min, &sys_s),
            4)
      << busy.out;
  // wait4's rusage is read after the command's own last look, from the
  // same clock: at least what it saw (less a rounding margin).
  EXPECT_GE(busy.user_ms, 100.0);
  EXPECT_GE(busy.user_ms, (user_min * 60 + user_s) * 1000 - 0.01);
  EXPECT_GE(busy.sys_ms, (sys_min * 60 + sys_s) * 1000 - 0.01);
  // wall_ms spans the process's whole life, and one thread cannot use
  // more CPU than that.
  EXPECT_LE(busy.user_ms + busy.sys_ms, busy.wall_ms);

  const auto idle = client.apply<ExecResult>("exec", Shell("sleep 0.2"));
  EXPECT_GE(idle.wall_ms, 200.0);
  EXPECT_LE(idle.user_ms + idle.sys_ms, idle.wall_ms);
}

// ---- ending the whole process group ---------------------------------------

TEST_F(ExecTest, ItsOwnTimeoutKillsTheCommandAndItsGrandchild) {
  TqdProcess tqd;
  Client client(tqd.endpoint());
  const std::string pidfile = dir_.File("pids");
  ExecArgs a = WithGrandchild(pidfile);
  a.timeout_ms = 300;
  const auto r = client.apply<ExecResult>("exec", a);
  EXPECT_TRUE(r.timed_out);
  EXPECT_EQ(r.signal, SIGTERM);
  EXPECT_EQ(r.exit_code, std::nullopt);
  EXPECT_GE(r.wall_ms, 300.0);
  ExpectAllGone(PidsIn(pidfile));
}

TEST_F(ExecTest, ACommandThatIgnoresSigtermIsKilledASecondAfterItsTimeout) {
  TqdProcess tqd;
  Client client(tqd.endpoint());
  const std::string pidfile = dir_.File("pids");
  ExecArgs a = Shell("trap '' TERM; sleep 100 & echo $$ $! > " + pidfile +
                     "; while :; do wait; done");
  a.timeout_ms = 100;
  const auto r = client.apply<ExecResult>("exec", a);
  EXPECT_TRUE(r.timed_out);
  EXPECT_EQ(r.signal, SIGKILL);
  ExpectAllGone(PidsIn(pidfile));
}

TEST_F(ExecTest, ABackgroundGrandchildHoldingTheOutputDoesNotHangTheTask) {
  TqdProcess tqd;
  Client client(tqd.endpoint());
  const std::string pidfile = dir_.File("pids");
  // The shell exits at once; its sleep keeps stdout open.
  const auto r = client.apply_async<ExecResult>(
      "exec", Shell("sleep 100 & echo $$ $! > " + pidfile + "; echo done"));
  const ExecResult v = r.get(60s);
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_EQ(v.out, "done\n");
  EXPECT_FALSE(v.timed_out);
  ExpectAllGone(PidsIn(pidfile));
}

TEST_F(ExecTest, ATaskTimeoutStopsTheWorkerAndTheCommandsGrandchildDiesToo) {
  TqdProcess tqd;
  Client client(tqd.endpoint());
  const std::string pidfile = dir_.File("pids");
  auto r = client.apply_async<ExecResult>({.timeout = 300ms}, "exec",
                                          WithGrandchild(pidfile));
  const std::vector<pid_t> pids = PidsIn(pidfile);
  RemoteError e = testing::ExpectRemoteError([&] { r.get(); });
  EXPECT_EQ(e.state(), TaskState::kTimedOut);
  ExpectAllGone(pids);
  // A new worker runs exec again.
  EXPECT_EQ(client.apply<ExecResult>("exec", Shell("echo again")).out,
            "again\n");
}

TEST_F(ExecTest, CancellingARunningExecKillsItsGrandchild) {
  TqdProcess tqd;
  Client client(tqd.endpoint());
  const std::string pidfile = dir_.File("pids");
  auto r = client.apply_async<ExecResult>("exec", WithGrandchild(pidfile));
  const std::vector<pid_t> pids = PidsIn(pidfile);
  ASSERT_TRUE(WaitFor([&] { return r.task_id() != 0; }));
  EXPECT_TRUE(r.cancel());
  RemoteError e = testing::ExpectRemoteError([&] { r.get(); });
  EXPECT_EQ(e.state(), TaskState::kCancelled);
  ExpectAllGone(pids);
}

// ---- failures and policy ---------------------------------------------------

TEST_F(ExecTest, AMissingProgramFailsWithExecFailed) {
  TqdProcess tqd;
  Client client(tqd.endpoint());
  ExecArgs a;
  a.argv = {"tq-no-such-program"};
  RemoteError e = testing::ExpectRemoteError([&] { client.apply<ExecResult>("exec", a); });
  EXPECT_EQ(e.state(), TaskState::kFailed);
  EXPECT_EQ(e.type(), "tq.ExecFailed");
  EXPECT_EQ(e.message(),
            "cannot run 'tq-no-such-program': No such file or directory");

  a.argv = {"/bin/true"};
  a.cwd = dir_.File("missing");
  e = testing::ExpectRemoteError([&] { client.apply<ExecResult>("exec", a); });
  EXPECT_EQ(e.type(), "tq.ExecFailed");
  EXPECT_NE(e.message().find("missing"), std::string::npos) << e.message();
}

struct BogusArgs {
  std::vector<std::string> argv;
  int bogus = 1;
  MSGPACK_DEFINE_MAP(argv, bogus)
};

TEST_F(ExecTest, BadArgumentsNameTheKey) {
  TqdProcess tqd;
  Client client(tqd.endpoint());
  RemoteError e =
      testing::ExpectRemoteError([&] { client.apply<ExecResult>("exec", BogusArgs{{"true"}}); });
  EXPECT_EQ(e.type(), "tq.BadArguments");
  EXPECT_NE(e.message().find("'bogus'"), std::string::npos) << e.message();

  e = testing::ExpectRemoteError([&] { client.apply<ExecResult>("exec", ExecArgs{}); });
  EXPECT_EQ(e.type(), "tq.BadArguments");
  EXPECT_NE(e.message().find("'argv'"), std::string::npos) << e.message();

  ExecArgs two = Shell("echo");
  two.argv.push_back("extra");
  e = testing::ExpectRemoteError([&] { client.apply<ExecResult>("exec", two); });
  EXPECT_EQ(e.type(), "tq.BadArguments");
  EXPECT_NE(e.message().find("'shell'"), std::string::npos) << e.message();

  e = testing::ExpectRemoteError([&] { client.apply<ExecResult>("exec", std::string("ls")); });
  EXPECT_EQ(e.type(), "tq.BadArguments");
}

TEST_F(ExecTest, ExecOffRefusesEveryCommandWithAClearError) {
  TqdProcess tqd(TqdOptions{.extra_args = {"--exec", "off"}});
  Client client(tqd.endpoint());
  RemoteError e =
      testing::ExpectRemoteError([&] { client.apply<ExecResult>("exec", Shell("true")); });
  EXPECT_EQ(e.state(), TaskState::kFailed);
  EXPECT_EQ(e.type(), "tq.ExecRefused");
  EXPECT_EQ(e.message(), "exec is disabled on this tqd (tqd --exec off)");
}

TEST_F(ExecTest, AnAllowListRunsOnlyTheProgramsItNames) {
  const std::string echo = Which("echo");
  TqdProcess tqd(TqdOptions{.extra_args = {"--exec-allow", echo}});
  Client client(tqd.endpoint());
  ExecArgs a;
  a.argv = {echo, "allowed"};
  EXPECT_EQ(client.apply<ExecResult>("exec", a).out, "allowed\n");
  // Found on PATH, it resolves to the allowed path.
  a.argv = {"echo", "found"};
  a.env = std::map<std::string, std::string>{
      {"PATH", std::filesystem::path(echo).parent_path().string()}};
  EXPECT_EQ(client.apply<ExecResult>("exec", a).out, "found\n");

  RemoteError e =
      testing::ExpectRemoteError([&] { client.apply<ExecResult>("exec", Shell("echo")); });
  EXPECT_EQ(e.type(), "tq.ExecRefused");
  EXPECT_EQ(e.message(), "'/bin/sh' is not in this tqd's exec allow-list");
  a.argv = {Which("printf"), "x"};
  a.env.reset();
  e = testing::ExpectRemoteError([&] { client.apply<ExecResult>("exec", a); });
  EXPECT_EQ(e.type(), "tq.ExecRefused");
  EXPECT_EQ(e.message(),
            "'" + Which("printf") + "' is not in this tqd's exec allow-list");
}

TEST_F(ExecTest, TheConfigFileSetsThePolicyAndAllowEntriesMustBeAbsolute) {
  const std::string off = dir_.File("off.toml");
  std::ofstream(off) << "exec = \"off\"\n";
  {
    TqdProcess tqd(TqdOptions{.extra_args = {"--config", off}});
    Client client(tqd.endpoint());
    RemoteError e =
        testing::ExpectRemoteError([&] { client.apply<ExecResult>("exec", Shell("true")); });
    EXPECT_EQ(e.type(), "tq.ExecRefused");
  }
  {
    // A flag wins over the file.
    TqdProcess tqd(TqdOptions{.extra_args = {"--config", off, "--exec", "on"}});
    Client client(tqd.endpoint());
    EXPECT_EQ(client.apply<ExecResult>("exec", Shell("echo on")).out, "on\n");
  }
  const std::string relative = dir_.File("relative.toml");
  std::ofstream(relative) << "exec_allow = [\"bin/echo\"]\n";
  TqdProcess tqd(
      TqdOptions{.extra_args = {"--config", relative}, .wait_ready = false});
  ASSERT_TRUE(WaitFor([&] { return tqd.Exited(); }));
  EXPECT_NE(
      tqd.Log().find("exec_allow entry 'bin/echo' must be an absolute path"),
      std::string::npos)
      << tqd.Log();
}

}  // namespace
}  // namespace tq
