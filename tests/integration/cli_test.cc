// The tq CLI as a user runs it: output, stderr and exit codes, signals.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <sstream>

#include "base/subprocess.h"
#include "testing/run_command.h"
#include "testing/temp_dir.h"
#include "testing/tqd_process.h"
#include "testing/wait_for.h"

namespace tq {
namespace {

using testing::BinPath;
using testing::LibPath;
using testing::RunCommand;
using testing::TqdProcess;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The lines of `text`, as a set: for output whose order is not promised.
std::multiset<std::string> Lines(const std::string& text) {
  std::multiset<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.insert(line);
  return lines;
}

class CliTest : public ::testing::Test {
 protected:
  testing::CommandResult Tq(std::vector<std::string> args, const std::string& in = "",
                            std::vector<std::string> env = {}) {
    args.insert(args.begin(), BinPath("tq"));
    env.push_back("TQ_ENDPOINT=" + tqd_.endpoint());
    return RunCommand(args, in, env);
  }
  // tq run from the directory `dir`, as a user who cd'ed there.
  testing::CommandResult TqIn(const std::string& dir, std::vector<std::string> args,
                              const std::string& in = "") {
    args.insert(args.begin(), {"/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", dir, BinPath("tq")});
    return RunCommand(args, in, {"TQ_ENDPOINT=" + tqd_.endpoint()});
  }
  // `tq status --json` of the whole queue: {"queued":0,"running":1,...}.
  std::string Stats() { return Tq({"status", "--json"}).out; }
  // Whether each "name": count holds in Stats() (its keys are sorted).
  bool StatsAre(const std::vector<std::pair<std::string, int>>& counts) {
    const std::string stats = Stats();
    for (const auto& [name, count] : counts) {
      const std::string field = "\"" + name + "\":" + std::to_string(count);
      const auto at = stats.find(field);
      if (at == std::string::npos || (stats[at + field.size()] != ',' &&
                                      stats[at + field.size()] != '}')) {
        return false;
      }
    }
    return true;
  }

  TqdProcess tqd_{{.extra_args = {"--plugin", LibPath("libtq_example_tasks.so")}}};
};

// A tq started in the background, to be signalled; its stdout and stderr
// go to files. Killed by pid if the test ends first.
class BackgroundTq {
 public:
  BackgroundTq(const TqdProcess& tqd, std::vector<std::string> args, const std::string& in = "") {
    std::ofstream(dir_.File("in")) << in;
    base::Fd in_fd(::open(dir_.File("in").c_str(), O_RDONLY | O_CLOEXEC));
    base::Fd out(::open(dir_.File("out").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
    base::Fd err(::open(dir_.File("err").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
    base::SpawnOptions spawn;
    spawn.argv = {BinPath("tq"), "--endpoint", tqd.endpoint()};
    spawn.argv.insert(spawn.argv.end(), args.begin(), args.end());
    spawn.fd_map = {{0, in_fd.get()}, {1, out.get()}, {2, err.get()}};
    auto p = base::Subprocess::Spawn(spawn);
    if (!p.ok()) throw std::runtime_error(p.status().ToString());
    process_ = std::move(*p);
  }
  void Signal(int signal) { process_.Kill(signal); }
  int Wait() { return process_.Wait().signaled ? -1 : process_.exit_status()->code; }
  std::string Out() const { return ReadFile(dir_.File("out")); }
  std::string Err() const { return ReadFile(dir_.File("err")); }

 private:
  testing::TempDir dir_;
  base::Subprocess process_;
};

TEST_F(CliTest, CallPrintsTheValueAsJson) {
  auto r = Tq({"call", "echo", "1", "\"a\"", "{\"k\":[true,null]}"});
  EXPECT_EQ(r.code(), 0) << r.err;
  EXPECT_EQ(r.out, "[1,\"a\",{\"k\":[true,null]}]\n");
  EXPECT_EQ(Tq({"call", "square", "12"}).out, "144\n");
}

TEST_F(CliTest, FunctionsListsWhatTheWorkersOfferAndFromWhere) {
  auto r = Tq({"functions"});
  ASSERT_EQ(r.code(), 0) << r.err;
  EXPECT_EQ(r.out.rfind("FUNCTION", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("square"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(LibPath("libtq_example_tasks.so")), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("(builtin)"), std::string::npos) << r.out;
  auto j = Tq({"functions", "--json"});
  ASSERT_EQ(j.code(), 0) << j.err;
  EXPECT_NE(j.out.find("{\"name\":\"exec\",\"origin\":null}"), std::string::npos) << j.out;
  EXPECT_NE(j.out.find("{\"name\":\"square\",\"origin\":\"" + LibPath("libtq_example_tasks.so") +
                       "\"}"),
            std::string::npos)
      << j.out;
}

TEST_F(CliTest, EndpointFlagOverridesTheEnvironment) {
  auto r = RunCommand({BinPath("tq"), "--endpoint", tqd_.endpoint(), "call", "square", "3"},
                      "", {"TQ_ENDPOINT=ipc:///nonexistent/tq.sock"});
  EXPECT_EQ(r.code(), 0) << r.err;
  EXPECT_EQ(r.out, "9\n");
}

TEST_F(CliTest, ARemoteFailureExitsOneWithTheErrorOnStderr) {
  auto r = Tq({"call", "divide", "1", "0"});
  EXPECT_EQ(r.code(), 1);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("std::invalid_argument: division by zero"), std::string::npos) << r.err;
}

TEST_F(CliTest, UnknownFunctionExitsRejected) {
  auto r = Tq({"call", "nope"});
  EXPECT_EQ(r.code(), 121);
  EXPECT_NE(r.err.find("UNKNOWN_FUNCTION"), std::string::npos) << r.err;
}

TEST_F(CliTest, BadJsonAndBadFlagsExitUsage) {
  auto r = Tq({"call", "echo", "bob"});
  EXPECT_EQ(r.code(), 125);
  EXPECT_NE(r.err.find("not JSON"), std::string::npos) << r.err;
  EXPECT_EQ(Tq({"frobnicate"}).code(), 125);
  EXPECT_EQ(Tq({"call"}).code(), 125);
}

TEST_F(CliTest, NoSocketFileExitsUnreachableWithoutWaitingForTheConnectTimeout) {
  // A connect timeout of an hour: only failing fast ends this in time.
  testing::TempDir dir;
  auto r = RunCommand({BinPath("tq"), "--endpoint", "ipc://" + dir.File("none.sock"),
                       "--connect-timeout", "3600", "call", "echo"});
  EXPECT_EQ(r.code(), 122);
  EXPECT_EQ(r.err, "tq: no tqd at " + dir.File("none.sock") + " (is tqd running?)\n");
}

TEST_F(CliTest, WaitTimeoutExits124AndTheTaskGoesOn) {
  auto submitted = Tq({"submit", "sleep", "3000"});
  ASSERT_EQ(submitted.code(), 0) << submitted.err;
  const std::string id = submitted.out.substr(0, submitted.out.find('\n'));
  auto r = Tq({"wait", "--timeout", "0.1", id});
  EXPECT_EQ(r.code(), 124);
  // Idle workers were free: it runs, and ends after the wait gave up.
  const auto status = Tq({"status", "--json", id});
  EXPECT_NE(status.out.find("\"state\":\"running\""), std::string::npos) << status.out;
}

TEST_F(CliTest, MapPrintsResultsInInputOrder) {
  std::string in, want;
  for (int i = 0; i < 300; ++i) {
    in += std::to_string(i) + "\n";
    want += std::to_string(i * i) + "\n";
  }
  auto r = Tq({"map", "square", "--window", "17"}, in);
  EXPECT_EQ(r.code(), 0) << r.err;
  EXPECT_EQ(r.out, want);
}

TEST_F(CliTest, MapKeepsOrderWhenDurationsAreShuffled) {
  auto r = Tq({"map", "sleep"}, "300\n1\n150\n0\n");
  EXPECT_EQ(r.code(), 0) << r.err;
  EXPECT_EQ(r.out, "null\nnull\nnull\nnull\n");
  auto e = Tq({"map", "echo"}, "\"c\"\n\"a\"\n\"b\"\n");
  EXPECT_EQ(e.out, "[\"c\"]\n[\"a\"]\n[\"b\"]\n");
}

TEST_F(CliTest, MapExitStatusCountsFailures) {
  auto r = Tq({"map", "checked_sqrt"}, "4\n-1\n9\n-4\n");
  EXPECT_EQ(r.code(), 2);
  // msgpack-c packs an integral double compactly; either spelling is 2, 3.
  EXPECT_TRUE(r.out == "2\n3\n" || r.out == "2.0\n3.0\n") << r.out;
  // Each failure names its input: position, line of stdin, the text.
  EXPECT_NE(r.err.find("tq: item 2 (line 2: -1): task "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("tq: item 4 (line 4: -4): task "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("failed: ValueError: math domain error"), std::string::npos) << r.err;
}

TEST_F(CliTest, AFailedCommandOfAMapIsNamedByItsInputAndLine) {
  // Blank lines are skipped, so the item number and the line differ.
  auto r = Tq({"map", "--", "sh", "-c", "test \"$0\" != bad.jpg", "{}"},
              "a.jpg\n\nbad.jpg\nc.jpg\n");
  EXPECT_EQ(r.code(), 1) << r.err;
  EXPECT_NE(r.err.find("tq: item 2 (line 3: bad.jpg): exit status 1\n"), std::string::npos)
      << r.err;
  auto after = Tq({"map", "--", "sh", "-c", "kill -9 $$", ":::", "x.png"});
  EXPECT_EQ(after.code(), 1) << after.err;
  EXPECT_NE(after.err.find("tq: item 1 (x.png): killed by signal 9 (SIGKILL)\n"),
            std::string::npos)
      << after.err;
}

TEST_F(CliTest, MapWithInvalidJsonInputExitsUsage) {
  auto r = Tq({"map", "square"}, "1\nnot json\n3\n");
  EXPECT_EQ(r.code(), 125);
  EXPECT_NE(r.err.find("line 2"), std::string::npos) << r.err;
}

TEST_F(CliTest, PingNamesTheDaemon) {
  auto r = Tq({"ping"});
  EXPECT_EQ(r.code(), 0) << r.err;
  EXPECT_NE(r.out.find("tqd "), std::string::npos);
  EXPECT_NE(r.out.find("pid " + std::to_string(tqd_.pid())), std::string::npos) << r.out;
}

TEST_F(CliTest, SubmitPrintsAnIdThatWaitAndStatusUseFromAnotherProcess) {
  auto submitted = Tq({"submit", "square", "9"});
  ASSERT_EQ(submitted.code(), 0) << submitted.err;
  const std::string id = submitted.out.substr(0, submitted.out.find('\n'));
  ASSERT_FALSE(id.empty());
  auto waited = Tq({"wait", id});
  EXPECT_EQ(waited.code(), 0) << waited.err;
  EXPECT_EQ(waited.out, "81\n");
  auto status = Tq({"status", id});
  EXPECT_EQ(status.code(), 0) << status.err;
  EXPECT_NE(status.out.find("state     done"), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("function  square"), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("attempts  1"), std::string::npos) << status.out;
  auto json = Tq({"status", "--json", id});
  EXPECT_NE(json.out.find("\"state\":\"done\""), std::string::npos) << json.out;
}

TEST_F(CliTest, SubmitWaitBehavesLikeCall) {
  auto r = Tq({"submit", "--wait", "divide", "1", "0"});
  EXPECT_EQ(r.code(), 1);
  EXPECT_NE(r.err.find("division by zero"), std::string::npos) << r.err;
}

TEST_F(CliTest, CancelEndsATaskAndStatusShowsWhy) {
  auto submitted = Tq({"submit", "sleep", "30000"});
  const std::string id = submitted.out.substr(0, submitted.out.find('\n'));
  auto cancelled = Tq({"cancel", id});
  EXPECT_EQ(cancelled.code(), 0) << cancelled.err;
  EXPECT_EQ(cancelled.out, "task " + id + ": cancelled\n");
  auto waited = Tq({"wait", id});
  EXPECT_EQ(waited.code(), 1);
  EXPECT_NE(waited.err.find("cancelled"), std::string::npos) << waited.err;
  auto status = Tq({"status", id});
  EXPECT_NE(status.out.find("cause     cancelled"), std::string::npos) << status.out;
}

TEST_F(CliTest, UnknownIdsExitRejected) {
  auto r = Tq({"status", "999999"});
  EXPECT_EQ(r.code(), 121);
  EXPECT_NE(r.err.find("NOT_FOUND"), std::string::npos) << r.err;
  EXPECT_EQ(Tq({"kick", "999999"}).code(), 121);
  EXPECT_EQ(Tq({"wait", "999999"}).code(), 121);
}

TEST_F(CliTest, CallTimeoutEndsTheTaskTimedOut) {
  auto r = Tq({"call", "--timeout", "0.2", "sleep", "30000"});
  EXPECT_EQ(r.code(), 1);
  EXPECT_NE(r.err.find("timed out after 0.200 s"), std::string::npos) << r.err;
}

TEST(CliQueueTest, AFullQueueExits120) {
  TqdProcess tqd({.workers = 1, .extra_args = {"--max-queued", "1"}});
  auto tq = [&](std::vector<std::string> args) {
    args.insert(args.begin(), BinPath("tq"));
    return RunCommand(args, "", {"TQ_ENDPOINT=" + tqd.endpoint()});
  };
  ASSERT_EQ(tq({"submit", "sleep", "30000"}).code(), 0);
  ASSERT_EQ(tq({"submit", "--delay", "60", "echo"}).code(), 0);
  auto r = tq({"call", "echo"});
  EXPECT_EQ(r.code(), 120);
  EXPECT_NE(r.err.find("QUEUE_FULL"), std::string::npos) << r.err;
}

TEST_F(CliTest, SubmitWaitOfACommandPrintsItsOutputAndExitsWithItsStatus) {
  auto r = Tq({"submit", "--wait", "--", "sh", "-c", "echo out; echo err >&2; exit 3"});
  EXPECT_EQ(r.code(), 3);
  EXPECT_EQ(r.out, "out\n");
  EXPECT_NE(r.err.find("err\n"), std::string::npos) << r.err;
  auto timed = Tq({"submit", "--wait", "--timeout", "0.3", "--", "sleep", "30"});
  EXPECT_EQ(timed.code(), 124) << timed.err;
  auto id = Tq({"submit", "--", "true"});
  EXPECT_EQ(id.code(), 0) << id.err;
  EXPECT_GT(std::stoull(id.out), 0u);
}

TEST_F(CliTest, MapOfACommandKeepsInputOrderWhateverTheDurations) {
  auto r = Tq({"map", "--", "sh", "-c", "sleep $0; echo {#}:$0", "{}", ":::", "0.4", "0",
               "0.2", "0.1", "0"});
  EXPECT_EQ(r.code(), 0) << r.err;
  EXPECT_EQ(r.out, "1:0.4\n2:0\n3:0.2\n4:0.1\n5:0\n");
  EXPECT_NE(r.err.find("tq map: 5 ok, 0 failed"), std::string::npos) << r.err;
  // --unordered promises each item's output whole, not which comes first.
  auto unordered = Tq({"map", "--unordered", "--", "sh", "-c", "sleep $0; echo $0", "{}",
                       ":::", "0.6", "0"});
  EXPECT_EQ(unordered.code(), 0) << unordered.err;
  EXPECT_EQ(Lines(unordered.out), (std::multiset<std::string>{"0", "0.6"})) << unordered.out;
}

TEST_F(CliTest, MapReadsItemsFromStdinAndExpandsReplacementStrings) {
  auto r = Tq({"map", "--", "echo", "{/.}", "{//}", "{#}"}, "a/b/c.jpg\nd.png\n");
  EXPECT_EQ(r.code(), 0) << r.err;
  EXPECT_EQ(r.out, "c a/b 1\nd . 2\n");
  auto appended = Tq({"map", "--", "echo", "x"}, "1\n2\n");
  EXPECT_EQ(appended.out, "x 1\nx 2\n");
}

TEST_F(CliTest, MapExitStatusIsTheNumberOfFailedCommands) {
  auto r = Tq({"map", "--", "sh", "-c", "exit $0", "{}", ":::", "0", "1", "0", "7", "2"});
  EXPECT_EQ(r.code(), 3);
  EXPECT_NE(r.err.find("2 ok, 3 failed"), std::string::npos) << r.err;
  std::vector<std::string> many = {"map", "--", "false", ":::"};
  for (int i = 0; i < 120; ++i) many.push_back(std::to_string(i));
  EXPECT_EQ(Tq(many).code(), 101);
}

TEST_F(CliTest, HaltOnErrorStartsNoNewItemAfterAFailure) {
  auto r = Tq({"map", "--halt-on-error", "--jobs", "1", "--", "sh", "-c",
               "echo $0; exit $0", "{}", ":::", "0", "1", "0", "0"});
  EXPECT_EQ(r.code(), 1);
  EXPECT_EQ(r.out, "0\n1\n");
  EXPECT_NE(r.err.find("halted on error"), std::string::npos) << r.err;
}

TEST_F(CliTest, EveryArgumentIsOneJsonValueVerbatim) {
  auto r = Tq({"call", "echo", "\"hello\"", "[1,2]"});
  EXPECT_EQ(r.code(), 0) << r.err;
  EXPECT_EQ(r.out, "[\"hello\",[1,2]]\n");
  EXPECT_EQ(Tq({"call", "echo", "[[1,2]]"}).out, "[[[1,2]]]\n");
  EXPECT_EQ(Tq({"call", "echo", "[]", "-1", "[1,\"a,b\"]", "{\"k\":[2,3]}"}).out,
            "[[],-1,[1,\"a,b\"],{\"k\":[2,3]}]\n");
  // Flags may still come after FN; an unknown one is not taken for JSON.
  EXPECT_EQ(Tq({"call", "echo", "[1,2]", "--timeout", "10", "[3]"}).out, "[[1,2],[3]]\n");
  auto unknown = Tq({"call", "echo", "--frobnicate", "1"});
  EXPECT_EQ(unknown.code(), 125);
  EXPECT_NE(unknown.err.find("unknown option --frobnicate"), std::string::npos) << unknown.err;
  auto submitted = Tq({"submit", "--wait", "echo", "[1,2]", "{\"a\":[3]}"});
  EXPECT_EQ(submitted.out, "[[1,2],{\"a\":[3]}]\n") << submitted.err;
}

TEST_F(CliTest, NumbersOutOfRangeAreUsageErrorsNamingTheArgument) {
  for (const char* cmd : {"call", "submit"}) {
    auto r = Tq({cmd, "echo", "1", "1e400"});
    EXPECT_EQ(r.code(), 125) << cmd << ": " << r.err;
    EXPECT_NE(r.err.find("argument 2 (1e400) is out of range"), std::string::npos) << r.err;
    auto big = Tq({cmd, "echo", "18446744073709551616"});
    EXPECT_EQ(big.code(), 125) << cmd << ": " << big.err;
    EXPECT_NE(big.err.find("argument 1 (18446744073709551616) is out of range"),
              std::string::npos)
        << big.err;
  }
  auto map = Tq({"map", "square"}, "2\n-1e999\n");
  EXPECT_EQ(map.code(), 125) << map.err;
  EXPECT_NE(map.err.find("input line 2 is out of range"), std::string::npos) << map.err;
  // Integers up to 64 bits and finite doubles are fine.
  EXPECT_EQ(Tq({"call", "echo", "18446744073709551615", "-9223372036854775808", "1e300"}).out,
            "[18446744073709551615,-9223372036854775808,1e+300]\n");
}

TEST_F(CliTest, BadTaskIdsAndFlagValuesSayWhatAValidOneIs) {
  for (const char* cmd : {"wait", "status", "cancel", "kick"}) {
    for (const char* id : {"-1", "0", "abc", "18446744073709551616", "1.5"}) {
      auto r = Tq({cmd, id});
      EXPECT_EQ(r.code(), 125) << cmd << " " << id;
      EXPECT_NE(r.err.find(std::string("task id '") + id +
                           "' is not a whole number from 1 to 18446744073709551615"),
                std::string::npos)
          << r.err;
    }
  }
  struct Case {
    std::vector<std::string> args;
    std::string error;
  };
  const std::vector<Case> cases = {
      {{"call", "--timeout", "abc", "square", "1"},
       "--timeout: 'abc' is not a number of seconds >= 0"},
      {{"call", "--timeout", "-1", "square", "1"},
       "--timeout: '-1' is not a number of seconds >= 0"},
      {{"call", "--timeout", "nan", "square", "1"},
       "--timeout: 'nan' is not a number of seconds >= 0"},
      {{"call", "--timeout", "1e400", "square", "1"},
       "--timeout: '1e400' is not a number of seconds >= 0"},
      {{"call", "--delay", "1e12", "square", "1"}, "--delay: '1e12' is more than a year"},
      {{"call", "--retry-backoff", "x", "square", "1"},
       "--retry-backoff: 'x' is not a number of seconds >= 0"},
      {{"call", "--priority", "abc", "square", "1"},
       "--priority: 'abc' is not a whole number from -1000 to 1000"},
      {{"call", "--priority", "1001", "square", "1"},
       "--priority: '1001' is not a whole number from -1000 to 1000"},
      {{"call", "--retries", "-1", "square", "1"},
       "--retries: '-1' is not a whole number from 0 to 100"},
      {{"map", "-j", "0", "square"}, "--jobs: '0' is not a whole number from 1 to 1000000"},
      {{"map", "--window", "1e3", "square"},
       "--jobs: '1e3' is not a whole number from 1 to 1000000"},
      {{"wait", "--timeout", "0", "1"}, "--timeout: '0' is not a number of seconds > 0"},
      {{"--connect-timeout", "abc", "ping"},
       "--connect-timeout: 'abc' is not a number of seconds > 0"},
  };
  for (const Case& c : cases) {
    auto r = Tq(c.args);
    EXPECT_EQ(r.code(), 125) << c.error;
    EXPECT_NE(r.err.find(c.error), std::string::npos) << r.err;
    EXPECT_LT(r.err.size(), 200u) << r.err;  // no 300-digit range
  }
}

TEST_F(CliTest, CommandsRunInTheCallersDirectory) {
  testing::TempDir here;
  ASSERT_EQ(::mkdir(here.File("sub").c_str(), 0755), 0);
  auto pwd = TqIn(here.path(), {"submit", "--wait", "--", "pwd"});
  EXPECT_EQ(pwd.code(), 0) << pwd.err;
  EXPECT_EQ(pwd.out, here.path() + "\n");
  // --cwd, relative to the caller's directory.
  EXPECT_EQ(TqIn(here.path(), {"submit", "--wait", "--cwd", "sub", "--", "pwd"}).out,
            here.File("sub") + "\n");
  EXPECT_EQ(TqIn(here.path(), {"map", "--cwd", "sub", "--", "sh", "-c", "echo $PWD $0", "{}",
                               ":::", "x"})
                .out,
            here.File("sub") + " x\n");
  auto missing = TqIn(here.path(), {"submit", "--wait", "--cwd", "nope", "--", "pwd"});
  EXPECT_EQ(missing.code(), 1);
  EXPECT_NE(missing.err.find(here.File("nope")), std::string::npos) << missing.err;
}

TEST_F(CliTest, TheReadmesMapOfACommandWorksWithRelativePaths) {
  // tq map -- /usr/bin/convert {} -thumbnail 75x75 out/{/} ::: in/*.jpg,
  // with cp standing in for ImageMagick.
  testing::TempDir here;
  ASSERT_EQ(::mkdir(here.File("in").c_str(), 0755), 0);
  ASSERT_EQ(::mkdir(here.File("out").c_str(), 0755), 0);
  for (const char* name : {"a.jpg", "b.jpg", "c.jpg"}) {
    std::ofstream(here.File("in/") + name) << name;
  }
  auto r = TqIn(here.path(), {"map", "--", "/bin/cp", "{}", "out/{/}", ":::", "in/a.jpg",
                              "in/b.jpg", "in/c.jpg"});
  EXPECT_EQ(r.code(), 0) << r.err;
  for (const char* name : {"a.jpg", "b.jpg", "c.jpg"}) {
    EXPECT_EQ(ReadFile(here.File("out/") + name), name);
  }
}

TEST_F(CliTest, CommandsGetNoneOfTheCallersEnvironmentUnlessAsked) {
  const std::vector<std::string> env = {"TQ_TEST_COLOUR=teal", "TQ_TEST_SHAPE=cube"};
  const std::vector<std::string> show = {"--", "sh", "-c",
                                         "echo ${TQ_TEST_COLOUR-unset} ${TQ_TEST_SHAPE-unset}"};
  auto run = [&](std::vector<std::string> flags) {
    std::vector<std::string> args = {"submit", "--wait"};
    args.insert(args.end(), flags.begin(), flags.end());
    args.insert(args.end(), show.begin(), show.end());
    return Tq(args, "", env);
  };
  EXPECT_EQ(run({}).out, "unset unset\n");
  EXPECT_EQ(run({"--env", "TQ_TEST_COLOUR"}).out, "teal unset\n");
  EXPECT_EQ(run({"--env", "TQ_TEST_SHAPE=sphere", "--env", "TQ_TEST_COLOUR"}).out,
            "teal sphere\n");
  EXPECT_EQ(run({"--env-all"}).out, "teal cube\n");
  EXPECT_EQ(run({"--env-all", "--env", "TQ_TEST_SHAPE=cone"}).out, "teal cone\n");
  auto unset = run({"--env", "TQ_TEST_NOT_SET_ANYWHERE"});
  EXPECT_EQ(unset.code(), 125);
  EXPECT_NE(unset.err.find("TQ_TEST_NOT_SET_ANYWHERE is not set here"), std::string::npos)
      << unset.err;
  // map passes them on to every item.
  auto map = Tq({"map", "--env", "TQ_TEST_COLOUR", "--", "sh", "-c",
                 "echo $0 ${TQ_TEST_COLOUR-unset}", "{}", ":::", "1", "2"},
                "", env);
  EXPECT_EQ(map.out, "1 teal\n2 teal\n");
}

std::string FirstLine(const std::string& out) { return out.substr(0, out.find('\n')); }

TEST_F(CliTest, WaitOnACommandPrintsItsOutputAndExitsWithItsStatus) {
  const std::string id =
      FirstLine(Tq({"submit", "--", "sh", "-c", "echo out; echo err >&2; exit 3"}).out);
  auto waited = Tq({"wait", id});
  EXPECT_EQ(waited.code(), 3);
  EXPECT_EQ(waited.out, "out\n");
  EXPECT_EQ(waited.err, "err\n");
  // Several ids: each in order; the exit status is the first failure's.
  const std::string ok = FirstLine(Tq({"submit", "--", "echo", "fine"}).out);
  const std::string killed = FirstLine(Tq({"submit", "--", "sh", "-c", "kill -9 $$"}).out);
  const std::string square = FirstLine(Tq({"submit", "square", "5"}).out);
  auto several = Tq({"wait", ok, square, killed, id});
  EXPECT_EQ(several.code(), 128 + 9) << several.err;
  EXPECT_EQ(several.out, "fine\n25\nout\n");
}

TEST_F(CliTest, JsonOutputShowsCommandOutputAsTextNeverAsByteArrays) {
  const std::string id =
      FirstLine(Tq({"submit", "--", "sh", "-c", "echo hi; printf '\\377\\376' >&2"}).out);
  auto json = Tq({"wait", "--json", id});
  EXPECT_EQ(json.code(), 0) << json.err;
  EXPECT_NE(json.out.find("\"task\":" + id), std::string::npos) << json.out;
  EXPECT_NE(json.out.find("\"fn\":\"exec\""), std::string::npos) << json.out;
  EXPECT_NE(json.out.find("\"stdout\":\"hi\\n\""), std::string::npos) << json.out;
  // Not UTF-8: base64, flagged.
  EXPECT_NE(json.out.find("\"stderr\":\"//4=\""), std::string::npos) << json.out;
  EXPECT_NE(json.out.find("\"stderr_base64\":true"), std::string::npos) << json.out;
  EXPECT_EQ(json.out.find("bytes"), std::string::npos) << json.out;
  EXPECT_EQ(json.out.find("subtype"), std::string::npos) << json.out;
  auto call = Tq({"call", "exec", "{\"argv\":[\"echo\",\"hi\"]}"});
  EXPECT_NE(call.out.find("\"stdout\":\"hi\\n\""), std::string::npos) << call.out;
  EXPECT_EQ(call.out.find("bytes"), std::string::npos) << call.out;
  auto failed = Tq({"wait", "--json", FirstLine(Tq({"submit", "divide", "1", "0"}).out)});
  EXPECT_EQ(failed.code(), 1);
  EXPECT_NE(failed.out.find("\"state\":\"failed\""), std::string::npos) << failed.out;
  EXPECT_NE(failed.out.find("\"type\":\"std::invalid_argument\""), std::string::npos)
      << failed.out;
}

TEST_F(CliTest, InterruptedMapCancelsTheTasksItHasNotCollected) {
  for (int sig : {SIGINT, SIGTERM}) {
    BackgroundTq map(tqd_, {"map", "sleep"}, "60000\n60000\n60000\n60000\n");
    // Two workers: two run, two wait in the queue.
    ASSERT_TRUE(testing::WaitFor([&] { return StatsAre({{"queued", 2}, {"running", 2}}); }))
        << Stats();
    map.Signal(sig);
    EXPECT_EQ(map.Wait(), sig == SIGINT ? 130 : 143) << map.Err();
    EXPECT_NE(map.Err().find("tq: interrupted: cancelled 4 tasks\n"), std::string::npos)
        << map.Err();
    EXPECT_TRUE(StatsAre({{"queued", 0}, {"running", 0}})) << Stats();
  }
  EXPECT_TRUE(StatsAre({{"cancelled", 8}})) << Stats();
}

TEST_F(CliTest, InterruptedCallAndSubmitWaitCancelTheirTask) {
  BackgroundTq call(tqd_, {"call", "sleep", "60000"});
  ASSERT_TRUE(testing::WaitFor([&] { return StatsAre({{"running", 1}}); })) << Stats();
  call.Signal(SIGINT);
  EXPECT_EQ(call.Wait(), 130);
  EXPECT_EQ(call.Err(), "tq: interrupted: cancelled 1 task\n");

  BackgroundTq submit(tqd_, {"submit", "--wait", "--", "sleep", "60"});
  ASSERT_TRUE(testing::WaitFor([&] { return StatsAre({{"running", 1}}); })) << Stats();
  submit.Signal(SIGTERM);
  EXPECT_EQ(submit.Wait(), 143);
  EXPECT_EQ(submit.Err(), "tq: interrupted: cancelled 1 task\n");
  EXPECT_TRUE(StatsAre({{"running", 0}})) << Stats();
  EXPECT_TRUE(StatsAre({{"cancelled", 2}})) << Stats();
}

TEST_F(CliTest, InterruptedWhileReadingInputTheMapStillCleansUp) {
  // stdin never ends: tq blocks reading it, with one task running.
  testing::TempDir dir;
  ASSERT_EQ(::mkfifo(dir.File("in").c_str(), 0600), 0);
  base::Fd keep_open(::open(dir.File("in").c_str(), O_RDWR | O_CLOEXEC));
  base::Fd in(::open(dir.File("in").c_str(), O_RDONLY | O_CLOEXEC));
  ASSERT_EQ(::write(keep_open.get(), "60000\n", 6), 6);
  base::Fd err(::open(dir.File("err").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
  base::SpawnOptions spawn;
  spawn.argv = {BinPath("tq"), "--endpoint", tqd_.endpoint(), "map", "sleep"};
  spawn.fd_map = {{0, in.get()}, {2, err.get()}};
  auto tq = base::Subprocess::Spawn(spawn);
  ASSERT_TRUE(tq.ok());
  ASSERT_TRUE(testing::WaitFor([&] { return StatsAre({{"running", 1}}); })) << Stats();
  tq->Kill(SIGINT);
  const base::ExitStatus status = tq->Wait();
  EXPECT_FALSE(status.signaled);
  EXPECT_EQ(status.code, 130);
  EXPECT_EQ(ReadFile(dir.File("err")), "tq: interrupted: cancelled 1 task\n");
  EXPECT_TRUE(StatsAre({{"running", 0}})) << Stats();
}

TEST_F(CliTest, DetachLeavesTheTasksRunningAndSaysWhichTheyAre) {
  BackgroundTq map(tqd_, {"map", "--detach", "sleep"}, "60000\n60000\n");
  ASSERT_TRUE(testing::WaitFor([&] { return StatsAre({{"running", 2}}); })) << Stats();
  map.Signal(SIGINT);
  EXPECT_EQ(map.Wait(), 130);
  EXPECT_NE(map.Err().find("tq: interrupted: 2 tasks go on (--detach): "), std::string::npos)
      << map.Err();
  EXPECT_TRUE(StatsAre({{"running", 2}})) << Stats();
  EXPECT_TRUE(StatsAre({{"cancelled", 0}})) << Stats();
}

TEST_F(CliTest, AClosedStdoutEndsTheMapAndCancelsTheRest) {
  // head takes the first line and leaves; the other items take a minute.
  auto r = RunCommand(
      {"/bin/bash", "-c",
       "set -o pipefail; \"$0\" map -- sh -c 'echo $0; test $0 = 1 || sleep 60' {} "
       "::: 1 2 3 4 5 | head -n 1",
       BinPath("tq")},
      "", {"TQ_ENDPOINT=" + tqd_.endpoint()});
  EXPECT_EQ(r.code(), 141) << r.err;
  EXPECT_EQ(r.out, "1\n");
  EXPECT_NE(r.err.find("tq: stdout closed: cancelled "), std::string::npos) << r.err;
  EXPECT_TRUE(StatsAre({{"queued", 0}, {"running", 0}})) << Stats();
}

TEST_F(CliTest, HelpListsTheExitCodes) {
  auto r = Tq({"--help"});
  EXPECT_EQ(r.code(), 0);
  EXPECT_NE(r.out.find("122"), std::string::npos);
  EXPECT_NE(r.out.find("cannot reach tqd"), std::string::npos);
}

// tq keygen needs no tqd: the endpoint here has nothing behind it.
TEST(CliKeygenTest, KeygenWritesAPairPrintsItsPublicKeyAndReplacesItOnlyWithForce) {
  testing::TempDir dir;
  const std::vector<std::string> env = {"TQ_ENDPOINT=ipc://" + dir.File("none.sock")};
  auto r = RunCommand({BinPath("tq"), "keygen", dir.File("head")}, "", env);
  ASSERT_EQ(r.code(), 0) << r.err;
  const std::string pub = ReadFile(dir.File("head.pub"));
  ASSERT_EQ(r.out.size(), 41u) << r.out;  // 40 Z85 characters and a newline
  EXPECT_NE(pub.find(r.out), std::string::npos) << pub;
  EXPECT_NE(r.err.find("head.key (secret, mode 0600)"), std::string::npos) << r.err;
  struct stat st {};
  ASSERT_EQ(::stat(dir.File("head.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  const std::string secret = ReadFile(dir.File("head.key"));

  r = RunCommand({BinPath("tq"), "keygen", dir.File("head")}, "", env);
  EXPECT_EQ(r.code(), 125);
  EXPECT_NE(r.err.find("exists already (--force replaces it)"), std::string::npos) << r.err;
  EXPECT_EQ(ReadFile(dir.File("head.key")), secret);

  r = RunCommand({BinPath("tq"), "keygen", "--force", dir.File("head")}, "", env);
  EXPECT_EQ(r.code(), 0) << r.err;
  EXPECT_NE(ReadFile(dir.File("head.key")), secret);
  EXPECT_NE(ReadFile(dir.File("head.pub")).find(r.out), std::string::npos);

  r = RunCommand({BinPath("tq"), "keygen", dir.File("no/such/dir/k")}, "", env);
  EXPECT_EQ(r.code(), 125);
  EXPECT_NE(r.err.find("no/such/dir/k.key"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace tq
