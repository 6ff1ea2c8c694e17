// tq-agent, the real binary, against a fake tqd made in the test (a CURVE
// ROUTER speaking PROTOCOL.md §10): the hello, real tq-worker processes
// behind channels, signals, and the ways a session ends.
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "fake_head.h"
#include "testing/run_command.h"
#include "testing/tqd_process.h"
#include "testing/wait_for.h"

namespace tq::testing {
namespace {

using namespace std::chrono_literals;

std::string HostName() {
  char host[256] = "";
  ::gethostname(host, sizeof host - 1);
  return host;
}

// The pipe frame of the builtin task echo(args...).
std::string EchoTask(std::uint64_t task_id, const std::string& args) {
  return PipeFrame(proto::TaskAssignment{.task_id = task_id, .fn = "echo", .args = args});
}

// Welcomes the agent's hello and starts channel `ch`; its worker's pid.
class AgentTest : public ::testing::Test {
 protected:
  std::uint32_t Open(std::uint32_t deadline_ms = 4000) {
    auto hello = head_.Await<proto::AgentHello>();
    EXPECT_TRUE(hello.has_value()) << agent_.Log();
    head_.Welcome(100, deadline_ms);
    return hello ? hello->slots : 0;
  }
  pid_t Spawn(std::uint64_t ch) {
    head_.Send(proto::ChannelSpawn{.channel = ch});
    auto spawned = head_.Await<proto::ChannelSpawned>();
    EXPECT_TRUE(spawned.has_value()) << agent_.Log();
    if (!spawned) return -1;
    EXPECT_EQ(spawned->channel, ch);
    agent_.Track(static_cast<pid_t>(spawned->pid));
    return static_cast<pid_t>(spawned->pid);
  }
  // The next whole pipe frame channel `ch`'s worker wrote.
  std::optional<std::string> NextFrame(std::uint64_t ch, FrameCollector& frames) {
    for (;;) {
      if (auto frame = frames.Pop()) return frame;
      auto out = head_.Await<proto::ChannelOutput>();
      if (!out) return std::nullopt;
      EXPECT_EQ(out->channel, ch);
      EXPECT_FALSE(out->data.empty());
      frames.Add(out->data);
    }
  }

  // Checks that `frame` is the worker's result of the echo task `task_id`
  // given `args`.
  void ExpectEchoed(const std::string& frame, std::uint64_t task_id, const std::string& args) {
    auto result = decoder_.DecodeFromWorker(frame);
    ASSERT_TRUE(result.ok()) << result.status().ToString();
    const auto* r = std::get_if<proto::WorkerResult>(&*result);
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(r->task_id, task_id);
    EXPECT_EQ(r->state, proto::TaskState::kDone);
    EXPECT_TRUE(r->value == args);  // not EXPECT_EQ: megabytes are not printed
  }

  FakeHead head_;
  AgentProcess agent_{head_, {"--slots", "3"}};
  proto::Decoder decoder_;
};

TEST_F(AgentTest, TheHelloCarriesTheHostTheSlotsAndANewSession) {
  auto hello = head_.Await<proto::AgentHello>();
  ASSERT_TRUE(hello.has_value()) << agent_.Log();
  EXPECT_EQ(hello->host, HostName());
  EXPECT_EQ(hello->slots, 3u);
  EXPECT_FALSE(hello->version.empty());
  EXPECT_NE(hello->h.session, 0u);
  EXPECT_EQ(hello->h.seq, 1u);
}

TEST_F(AgentTest, AWelcomedAgentBeatsAndNumbersItsMessagesInOrder) {
  Open();
  std::uint64_t ack = 0;
  for (int i = 0; i < 4; ++i) {
    auto beat = head_.Await<proto::AgentBeat>();
    ASSERT_TRUE(beat.has_value()) << agent_.Log();
    // What it had of ours when it beat: never less than before, never more
    // than was sent before the answer to this beat.
    EXPECT_GE(beat->ack, ack);
    EXPECT_LT(beat->ack, head_.sent());
    ack = beat->ack;
  }
  EXPECT_GE(ack, 2u);  // the welcome, and a DaemonBeat at least
  EXPECT_FALSE(head_.saw_gap());
}

TEST_F(AgentTest, AChannelRelaysItsWorkersHelloAndATasksResult) {
  Open();
  const pid_t pid = Spawn(1);
  EXPECT_TRUE(ProcessAlive(pid));
  FrameCollector frames;
  auto hello_frame = NextFrame(1, frames);
  ASSERT_TRUE(hello_frame.has_value()) << agent_.Log();
  auto hello = decoder_.DecodeFromWorker(*hello_frame);
  ASSERT_TRUE(hello.ok()) << hello.status().ToString();
  const auto* worker_hello = std::get_if<proto::WorkerHello>(&*hello);
  ASSERT_NE(worker_hello, nullptr);
  EXPECT_EQ(worker_hello->pid, static_cast<std::uint32_t>(pid));
  EXPECT_NE(std::find(worker_hello->functions.begin(), worker_hello->functions.end(), "echo"),
            worker_hello->functions.end());

  const std::string args = "\x92\x01\xa2hi";  // [1, "hi"]
  const std::string task = EchoTask(7, args);
  // In two pieces, as tqd's pipe may hand them over.
  head_.Send(proto::ChannelInput{.channel = 1, .data = std::string_view(task).substr(0, 5)});
  head_.Send(proto::ChannelInput{.channel = 1, .data = std::string_view(task).substr(5)});
  auto result_frame = NextFrame(1, frames);
  ASSERT_TRUE(result_frame.has_value()) << agent_.Log();
  ExpectEchoed(*result_frame, 7, args);
  EXPECT_FALSE(head_.saw_gap());
}

TEST_F(AgentTest, BigTasksAndResultsCrossInPiecesLargerThanAPipe) {
  Open();
  Spawn(1);
  FrameCollector frames;
  ASSERT_TRUE(NextFrame(1, frames).has_value()) << agent_.Log();  // its hello
  // [bin of 3 MiB]: twelve times what the worker's pipe holds, and more
  // than one ChannelOutput's worth back.
  std::string args = "\x91\xc6";
  const std::uint32_t n = 3 << 20;
  for (int shift = 24; shift >= 0; shift -= 8) args += static_cast<char>((n >> shift) & 0xff);
  for (std::uint32_t i = 0; i < n; ++i) args += static_cast<char>('a' + i % 26);
  head_.Send(proto::ChannelInput{.channel = 1, .data = EchoTask(8, args)});
  auto result_frame = NextFrame(1, frames);
  ASSERT_TRUE(result_frame.has_value()) << agent_.Log();
  ExpectEchoed(*result_frame, 8, args);
}

TEST_F(AgentTest, WhatAWorkerWroteBeforeItExitedArrivesBeforeItsExit) {
  Open();
  Spawn(1);
  const std::string args = "\x91\x05";  // [5]
  head_.Send(proto::ChannelInput{.channel = 1, .data = EchoTask(9, args)});
  // It runs the task, then reads EOF and exits.
  head_.Send(proto::ChannelCloseInput{.channel = 1});
  FrameCollector frames;
  std::vector<std::string> seen;
  bool exited = false;
  const auto until = std::chrono::steady_clock::now() + 20s;
  while (!exited && std::chrono::steady_clock::now() < until) {
    auto m = head_.Next(100ms);
    if (!m) continue;
    if (auto* out = std::get_if<proto::ChannelOutput>(&*m)) frames.Add(out->data);
    if (auto* e = std::get_if<proto::ChannelExited>(&*m)) {
      EXPECT_EQ(e->code, 0);
      exited = true;
    }
    while (auto frame = frames.Pop()) seen.push_back(*frame);
  }
  ASSERT_TRUE(exited) << agent_.Log();
  ASSERT_EQ(seen.size(), 2u);  // its hello, then the result
  ExpectEchoed(seen[1], 9, args);
}

TEST_F(AgentTest, ALiveChannelsRssComesWithTheBeats) {
  Open();
  Spawn(4);
  auto rss = head_.Await<proto::ChannelRss>();
  ASSERT_TRUE(rss.has_value()) << agent_.Log();
  EXPECT_EQ(rss->channel, 4u);
  EXPECT_GT(rss->bytes, 0u);
}

TEST_F(AgentTest, SigkillOfAChannelIsReportedAsSignal9AfterTheWorkerIsReaped) {
  Open();
  const pid_t pid = Spawn(2);
  head_.Send(proto::ChannelSignal{.channel = 2, .signal = SIGKILL});
  auto exited = head_.Await<proto::ChannelExited>();
  ASSERT_TRUE(exited.has_value()) << agent_.Log();
  EXPECT_EQ(exited->channel, 2u);
  EXPECT_EQ(exited->signal, SIGKILL);
  EXPECT_FALSE(exited->code.has_value());
  EXPECT_FALSE(ProcessAlive(pid));
}

TEST_F(AgentTest, ClosingAChannelsInputLetsItsWorkerExitWithCodeZero) {
  Open();
  const pid_t pid = Spawn(3);
  head_.Send(proto::ChannelCloseInput{.channel = 3});
  auto exited = head_.Await<proto::ChannelExited>();
  ASSERT_TRUE(exited.has_value()) << agent_.Log();
  EXPECT_EQ(exited->code, 0);
  EXPECT_FALSE(ProcessAlive(pid));
}

TEST_F(AgentTest, ACaptureAnswersWithAStack) {
  Open();
  Spawn(5);
  head_.Send(proto::ChannelCapture{.channel = 5, .timeout_ms = 10000});
  auto stack = head_.Await<proto::ChannelStack>(30s);
  ASSERT_TRUE(stack.has_value()) << agent_.Log();
  EXPECT_EQ(stack->channel, 5u);
  EXPECT_LE(stack->text.size(), proto::kMaxErrorTextBytes);
  // gdb's backtrace of the idle worker, waiting for a task.
  EXPECT_NE(stack->text.find("TaskLoop"), std::string::npos) << stack->text;
}

TEST_F(AgentTest, AHeadThatGoesSilentGetsItsWorkersStoppedAndANewHello) {
  auto hello = head_.Await<proto::AgentHello>();
  ASSERT_TRUE(hello.has_value()) << agent_.Log();
  const std::uint64_t first = hello->h.session;
  head_.Welcome(100, 1000);
  const pid_t pid = Spawn(1);
  head_.set_answer_beats(false);
  auto again = head_.Await<proto::AgentHello>();
  ASSERT_TRUE(again.has_value()) << agent_.Log();
  EXPECT_NE(again->h.session, first);
  // Stopped and reaped before the hello.
  EXPECT_FALSE(ProcessAlive(pid));
  EXPECT_NE(agent_.Log().find("no beat acknowledged by tqd"), std::string::npos) << agent_.Log();
}

TEST_F(AgentTest, AMessageOutOfOrderEndsTheSession) {
  auto hello = head_.Await<proto::AgentHello>();
  ASSERT_TRUE(hello.has_value()) << agent_.Log();
  const std::uint64_t first = hello->h.session;
  head_.Welcome();
  const pid_t pid = Spawn(1);
  head_.SendRaw(proto::DaemonBeat{.h = {first, head_.sent() + 2}, .ack = head_.received()});
  auto again = head_.Await<proto::AgentHello>();
  ASSERT_TRUE(again.has_value()) << agent_.Log();
  EXPECT_NE(again->h.session, first);
  EXPECT_FALSE(ProcessAlive(pid));
  EXPECT_NE(agent_.Log().find("after seq"), std::string::npos) << agent_.Log();
}

TEST_F(AgentTest, SessionEndStopsTheWorkersAndTheAgentSaysHelloAnew) {
  auto hello = head_.Await<proto::AgentHello>();
  ASSERT_TRUE(hello.has_value()) << agent_.Log();
  const std::uint64_t first = hello->h.session;
  head_.Welcome();
  const pid_t pid = Spawn(1);
  head_.Send(proto::SessionEnd{.why = "test"});
  auto again = head_.Await<proto::AgentHello>();
  ASSERT_TRUE(again.has_value()) << agent_.Log();
  EXPECT_NE(again->h.session, first);
  EXPECT_FALSE(ProcessAlive(pid));
}

TEST_F(AgentTest, MessagesOfAnOldSessionAreDropped) {
  auto hello = head_.Await<proto::AgentHello>();
  ASSERT_TRUE(hello.has_value()) << agent_.Log();
  const std::uint64_t session = hello->h.session;
  // A replay from another session, even one numbered right, spawns nothing.
  head_.SendRaw(proto::AgentWelcome{.h = {session + 1, 1}, .beat_ms = 100, .deadline_ms = 4000});
  head_.Welcome();
  head_.SendRaw(proto::ChannelSpawn{.h = {session + 1, 2}, .channel = 9});
  Spawn(1);
  EXPECT_FALSE(head_.Await<proto::ChannelSpawned>(500ms).has_value());
  EXPECT_FALSE(head_.saw_gap());
}

TEST_F(AgentTest, SigtermSaysByeAndTheAgentExitsOnceTheSessionEnds) {
  Open();
  const pid_t pid = Spawn(1);
  agent_.Kill(SIGTERM);
  auto bye = head_.Await<proto::AgentBye>();
  ASSERT_TRUE(bye.has_value()) << agent_.Log();
  EXPECT_FALSE(bye->requeue);  // --drain finish, the default
  // It keeps serving until tqd ends the session.
  auto beat = head_.Await<proto::AgentBeat>();
  ASSERT_TRUE(beat.has_value()) << agent_.Log();
  EXPECT_TRUE(ProcessAlive(pid));
  head_.Send(proto::SessionEnd{.why = "bye"});
  ASSERT_TRUE(WaitFor("the agent to exit", [&] { return agent_.Exited(); })) << agent_.Log();
  EXPECT_FALSE(agent_.status().signaled);
  EXPECT_EQ(agent_.status().code, 0);
  EXPECT_FALSE(ProcessAlive(pid));
}

TEST(AgentDrainTest, DrainRequeueAsksTqdToRequeue) {
  FakeHead head;
  AgentProcess agent(head, {"--drain", "requeue"});
  ASSERT_TRUE(head.Await<proto::AgentHello>().has_value()) << agent.Log();
  head.Welcome();
  ASSERT_TRUE(head.Await<proto::AgentBeat>().has_value()) << agent.Log();
  agent.Kill(SIGINT);
  auto bye = head.Await<proto::AgentBye>();
  ASSERT_TRUE(bye.has_value()) << agent.Log();
  EXPECT_TRUE(bye->requeue);
}

TEST(AgentDrainTest, SigtermBeforeAnyWelcomeExitsAtOnce) {
  FakeHead head;
  AgentProcess agent(head);
  ASSERT_TRUE(head.Await<proto::AgentHello>().has_value()) << agent.Log();
  agent.Kill(SIGTERM);
  ASSERT_TRUE(WaitFor("the agent to exit", [&] { return agent.Exited(); })) << agent.Log();
  EXPECT_EQ(agent.status().code, 0);
}

TEST(AgentStartTest, AWorkerThatCannotStartIsReportedAsAnExitWithAnError) {
  FakeHead head;
  AgentProcess agent(head, {"--worker", head.dir().File("no-such-worker")});
  ASSERT_TRUE(head.Await<proto::AgentHello>().has_value()) << agent.Log();
  head.Welcome();
  head.Send(proto::ChannelSpawn{.channel = 1});
  auto exited = head.Await<proto::ChannelExited>();
  ASSERT_TRUE(exited.has_value()) << agent.Log();
  EXPECT_FALSE(exited->code.has_value());
  EXPECT_FALSE(exited->signal.has_value());
  EXPECT_NE(exited->error.find("no-such-worker"), std::string_view::npos) << exited->error;
}

TEST(AgentStartTest, MoreChannelsThanSlotsAreRefused) {
  FakeHead head;
  AgentProcess agent(head, {"--slots", "1"});
  ASSERT_TRUE(head.Await<proto::AgentHello>().has_value()) << agent.Log();
  head.Welcome();
  head.Send(proto::ChannelSpawn{.channel = 1});
  auto spawned = head.Await<proto::ChannelSpawned>();
  ASSERT_TRUE(spawned.has_value()) << agent.Log();
  agent.Track(static_cast<pid_t>(spawned->pid));
  head.Send(proto::ChannelSpawn{.channel = 2});
  auto refused = head.Await<proto::ChannelExited>();
  ASSERT_TRUE(refused.has_value()) << agent.Log();
  EXPECT_EQ(refused->channel, 2u);
  EXPECT_EQ(refused->error, "the agent runs at most 1 workers");
}

TEST(AgentStartTest, TqWorkerConnectRunsTheAgent) {
  FakeHead head;
  AgentProcess agent(head, {"--slots", "2"}, BinPath("tq-worker"));
  auto hello = head.Await<proto::AgentHello>();
  ASSERT_TRUE(hello.has_value()) << agent.Log();
  EXPECT_EQ(hello->slots, 2u);
}

TEST(AgentStartTest, TheDefaultSlotsAreTheCpusAvailable) {
  FakeHead head;
  AgentProcess agent(head);
  auto hello = head.Await<proto::AgentHello>();
  ASSERT_TRUE(hello.has_value()) << agent.Log();
  cpu_set_t set;
  ASSERT_EQ(::sched_getaffinity(0, sizeof set, &set), 0);
  EXPECT_EQ(hello->slots, static_cast<std::uint32_t>(CPU_COUNT(&set)));
}

// Bad flags and key files: one line on stderr, exit 2, for tq-agent and
// for tq-worker --connect alike.
class AgentUsageTest : public ::testing::TestWithParam<std::string> {
 protected:
  // The program under test with --connect `connect` and the head's key
  // files, or `key` for the agent's.
  CommandResult Run(const std::string& connect, const std::string& key = "") {
    return RunCommand({BinPath(GetParam()), "--connect", connect, "--server-key",
                       head_.server_key_file(), "--key",
                       key.empty() ? head_.agent_key_file() : key});
  }
  FakeHead head_;
};

TEST_P(AgentUsageTest, AMissingFlagIsAUsageError) {
  const CommandResult r = RunCommand({BinPath(GetParam()), "--connect", "tcp://127.0.0.1:1"});
  EXPECT_EQ(r.code(), 2) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find("tq-agent: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--server-key"), std::string::npos) << r.err;
}

TEST_P(AgentUsageTest, AnUnreadableKeyFileIsNamed) {
  const CommandResult r = Run(head_.endpoint(), head_.dir().File("missing.key"));
  EXPECT_EQ(r.code(), 2) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find("missing.key"), std::string::npos) << r.err;
}

TEST_P(AgentUsageTest, ASecretKeyOthersMayReadIsRefused) {
  ASSERT_EQ(::chmod(head_.agent_key_file().c_str(), 0644), 0);
  const CommandResult r = Run(head_.endpoint());
  EXPECT_EQ(r.code(), 2) << r.err;
  EXPECT_NE(r.err.find("agent.key"), std::string::npos) << r.err;
}

TEST_P(AgentUsageTest, ANonTcpEndpointIsRefused) {
  const CommandResult r = Run("ipc:///tmp/x");
  EXPECT_EQ(r.code(), 2) << r.err;
  EXPECT_NE(r.err.find("tcp://HEAD:PORT"), std::string::npos) << r.err;
}

TEST_P(AgentUsageTest, AnEndpointWithoutAPortIsRefused) {
  const CommandResult r = Run("tcp://127.0.0.1");
  EXPECT_EQ(r.code(), 2) << r.err;
  EXPECT_NE(r.err.find("--connect tcp://127.0.0.1: "), std::string::npos) << r.err;
}

INSTANTIATE_TEST_SUITE_P(Programs, AgentUsageTest, ::testing::Values("tq-agent", "tq-worker"),
                         [](const auto& param) {
                           std::string name = param.param;
                           name.erase(std::remove(name.begin(), name.end(), '-'), name.end());
                           return name;
                         });

}  // namespace
}  // namespace tq::testing
