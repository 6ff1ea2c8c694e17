// The tq CLI as a user runs it: output, stderr and exit codes.
#include <gtest/gtest.h>

#include "testing/run_command.h"
#include "testing/tqd_process.h"

namespace tq {
namespace {

using testing::BinPath;
using testing::LibPath;
using testing::RunCommand;
using testing::TqdProcess;

class CliTest : public ::testing::Test {
 protected:
  testing::CommandResult Tq(std::vector<std::string> args, const std::string& in = "") {
    args.insert(args.begin(), BinPath("tq"));
    return RunCommand(args, in, {"TQ_ENDPOINT=" + tqd_.endpoint()});
  }
  TqdProcess tqd_{{.extra_args = {"--plugin", LibPath("libtq_example_tasks.so")}}};
};

TEST_F(CliTest, CallPrintsTheValueAsJson) {
  auto r = Tq({"call", "echo", "1", "\"a\"", "{\"k\":[true,null]}"});
  EXPECT_EQ(r.code(), 0) << r.err;
  EXPECT_EQ(r.out, "[1,\"a\",{\"k\":[true,null]}]\n");
  EXPECT_EQ(Tq({"call", "square", "12"}).out, "144\n");
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

TEST_F(CliTest, NoSocketFileExitsUnreachableAtOnce) {
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
  EXPECT_NE(r.err.find("item 2"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("item 4"), std::string::npos) << r.err;
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
  auto unordered = Tq({"map", "--unordered", "--", "sh", "-c", "sleep $0; echo $0", "{}",
                       ":::", "0.6", "0"});
  EXPECT_EQ(unordered.out, "0\n0.6\n");
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

TEST_F(CliTest, HelpListsTheExitCodes) {
  auto r = Tq({"--help"});
  EXPECT_EQ(r.code(), 0);
  EXPECT_NE(r.out.find("122"), std::string::npos);
  EXPECT_NE(r.out.find("cannot reach tqd"), std::string::npos);
}

}  // namespace
}  // namespace tq
