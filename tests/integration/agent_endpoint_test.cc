// tqd's agent endpoint (README "Many machines", PROTOCOL.md §10) as a
// worker agent meets it: a real tqd with --workers 0 and --agents, and a
// fake agent made in the test, a CURVE DEALER speaking the agent protocol
// through the proto codec. The fake agent plays its workers too: it
// answers ch_spawn with a worker's hello and tasks with results, so the
// test decides what each "worker" does and when.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>
#include <zmq.hpp>

#include "agent/fake_head.h"
#include "testing/run_command.h"
#include "testing/temp_dir.h"
#include "testing/tqd_process.h"
#include "testing/wait_for.h"
#include "tq/keys/curve_keys.h"
#include "tq/proto/codec.h"

namespace tq::testing {
namespace {

using namespace std::chrono_literals;
using Json = nlohmann::json;

// A message tqd sent, with the frame its views point into.
template <typename M>
struct Got {
  std::shared_ptr<const std::string> frame;
  M m;
};

// The agent end of a session, made in the test. A thread of its own owns
// the socket: it sends what the test queues, repeats the hello until a
// welcome comes and then beats every 100 ms (while `beating`), so a test
// that waits for a CLI command never makes the agent look silent. What
// tqd sends is kept, decoded, for Await.
class FakeAgent {
 public:
  // `key`: the agent's CURVE pair; nullopt for a plaintext peer.
  FakeAgent(const std::string& endpoint, const std::string& server_public,
            std::optional<keys::KeyPair> key)
      : dealer_(context_, zmq::socket_type::dealer) {
    if (key) {
      dealer_.set(zmq::sockopt::curve_serverkey, server_public);
      dealer_.set(zmq::sockopt::curve_publickey, key->public_z85);
      dealer_.set(zmq::sockopt::curve_secretkey, key->secret_z85);
    }
    dealer_.set(zmq::sockopt::linger, 0);
    dealer_.set(zmq::sockopt::reconnect_ivl, 50);
    dealer_.connect(endpoint);
    thread_ = std::thread([this] { Run(); });
  }
  ~FakeAgent() {
    stop_ = true;
    thread_.join();
  }
  FakeAgent(const FakeAgent&) = delete;
  FakeAgent& operator=(const FakeAgent&) = delete;

  // Starts a new session (a random id) with its hello; returns its id.
  std::uint64_t Hello(const std::string& host, std::uint32_t slots = 1) {
    std::lock_guard lock(mu_);
    static std::mt19937_64 random{std::random_device{}()};
    session_ = random() | 1;
    sent_ = 1;
    acked_ = 0;
    welcomed_ = false;
    host_ = host;
    proto::Buffer out;
    proto::Encode(proto::AgentHello{{session_, 1}, host_, slots, "test"}, out);
    hello_ = std::string(out.view());
    outbox_.push_back(hello_);
    next_hello_ = std::chrono::steady_clock::now() + 100ms;
    return session_;
  }

  // Sends `m` in the current session, numbered next.
  template <typename M>
  void Send(M m) {
    std::lock_guard lock(mu_);
    m.h = {session_, ++sent_};
    Queue(m);
  }
  // Sends `m` with the header given, numbering nothing.
  template <typename M>
  void SendAs(M m, proto::AgentHeader h) {
    std::lock_guard lock(mu_);
    m.h = h;
    Queue(m);
  }
  void SendBytes(std::string bytes) {
    std::lock_guard lock(mu_);
    outbox_.push_back(std::move(bytes));
  }
  // Skips a seq: the next message sent is numbered one more than it should.
  void SkipSeq() {
    std::lock_guard lock(mu_);
    ++sent_;
  }
  void set_beating(bool on) { beating_ = on; }

  std::uint64_t session() const {
    std::lock_guard lock(mu_);
    return session_;
  }
  std::uint64_t sent() const {
    std::lock_guard lock(mu_);
    return sent_;
  }
  std::size_t received() const {
    std::lock_guard lock(mu_);
    return inbox_.size();
  }

  // The first message of type M not awaited before, of session `session`
  // (0: the current one), received at or after index `from` and for
  // which `pred` holds; nullopt after `timeout`.
  template <typename M, typename Pred>
  std::optional<Got<M>> AwaitIf(Pred&& pred, std::chrono::milliseconds timeout = 20s,
                              std::uint64_t session = 0, std::size_t from = 0) {
    std::optional<Got<M>> got;
    WaitFor([&] {
      std::lock_guard lock(mu_);
      const std::uint64_t s = session != 0 ? session : session_;
      for (std::size_t i = from; i < inbox_.size(); ++i) {
        Entry& e = inbox_[i];
        const M* m = std::get_if<M>(&e.message);
        if (e.taken || m == nullptr || m->h.session != s || !pred(*m)) continue;
        e.taken = true;
        got = Got<M>{e.frame, *m};
        return true;
      }
      return false;
    }, timeout);
    return got;
  }
  template <typename M>
  std::optional<Got<M>> Await(std::chrono::milliseconds timeout = 20s) {
    return AwaitIf<M>([](const M&) { return true; }, timeout);
  }

  // Answers the next ch_spawn as a worker with pid `pid` that says hello
  // (functions echo, no prefetch); returns its channel, 0 if none came.
  std::uint64_t StartWorker(std::uint32_t pid) {
    auto spawn = Await<proto::ChannelSpawn>();
    if (!spawn) return 0;
    const std::uint64_t ch = spawn->m.channel;
    Send(proto::ChannelSpawned{{}, ch, pid});
    const std::string hello =
        PipeFrame(proto::WorkerHello{.pid = pid, .functions = {"echo"}, .prefetch = false});
    Send(proto::ChannelOutput{{}, ch, hello});
    return ch;
  }
  // The next task tqd sends channel `ch`'s worker: its id.
  std::optional<std::uint64_t> NextTask(std::uint64_t ch,
                                        std::chrono::milliseconds timeout = 20s) {
    FrameCollector& frames = frames_[ch];
    const auto until = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (auto frame = frames.Pop()) {
        auto task = decoder_.DecodeTask(*frame);
        EXPECT_TRUE(task.ok()) << task.status().ToString();
        if (!task.ok()) return std::nullopt;
        return task->task_id;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          until - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::nullopt;
      auto in = AwaitIf<proto::ChannelInput>(
          [&](const proto::ChannelInput& m) { return m.channel == ch; }, left);
      if (!in) return std::nullopt;
      frames.Add(in->m.data);
    }
  }
  // Channel `ch`'s worker sends the result `value` (msgpack) of `task`.
  void Result(std::uint64_t ch, std::uint64_t task, const std::string& value) {
    const std::string frame = PipeFrame(
        proto::WorkerResult{.task_id = task, .state = proto::TaskState::kDone, .value = value});
    Send(proto::ChannelOutput{{}, ch, frame});
  }

 private:
  struct Entry {
    std::shared_ptr<const std::string> frame;
    proto::ToAgentMessage message;
    bool taken = false;
  };

  template <typename M>
  void Queue(const M& m) {
    proto::Buffer out;
    proto::Encode(m, out);
    outbox_.emplace_back(out.view());
  }

  void Run() {
    proto::Decoder decoder;
    auto next_beat = std::chrono::steady_clock::now();
    while (!stop_) {
      {
        std::lock_guard lock(mu_);
        const auto now = std::chrono::steady_clock::now();
        if (session_ != 0 && !welcomed_ && now >= next_hello_) {
          outbox_.push_back(hello_);
          next_hello_ = now + 100ms;
        }
        if (beating_ && welcomed_ && now >= next_beat) {
          Queue(proto::AgentBeat{{session_, ++sent_}, acked_});
          next_beat = now + 100ms;
        }
        for (const std::string& bytes : outbox_) {
          (void)dealer_.send(zmq::buffer(bytes.data(), bytes.size()), zmq::send_flags::dontwait);
        }
        outbox_.clear();
      }
      zmq::pollitem_t item{dealer_.handle(), 0, ZMQ_POLLIN, 0};
      if (zmq::poll(&item, 1, 5ms) == 0) continue;
      zmq::message_t frame;
      while (dealer_.recv(frame, zmq::recv_flags::dontwait)) {
        auto bytes = std::make_shared<const std::string>(frame.to_string());
        auto decoded = decoder.DecodeToAgent(*bytes);
        if (!decoded.ok()) {
          ADD_FAILURE() << "tqd sent what does not decode: " << decoded.status().ToString();
          continue;
        }
        std::lock_guard lock(mu_);
        const proto::AgentHeader h = std::visit([](const auto& m) { return m.h; }, *decoded);
        if (h.session == session_) {
          acked_ = std::max(acked_, h.seq);
          if (std::holds_alternative<proto::AgentWelcome>(*decoded)) welcomed_ = true;
        }
        inbox_.push_back({bytes, *decoded});
      }
    }
  }

  zmq::context_t context_;
  zmq::socket_t dealer_;
  mutable std::mutex mu_;
  std::uint64_t session_ = 0;
  std::uint64_t sent_ = 0;
  std::uint64_t acked_ = 0;
  bool welcomed_ = false;
  std::string host_;
  std::string hello_;
  std::chrono::steady_clock::time_point next_hello_;
  std::vector<std::string> outbox_;
  std::vector<Entry> inbox_;
  std::atomic<bool> beating_{true};
  std::atomic<bool> stop_{false};
  // The test thread's own.
  proto::Decoder decoder_;
  std::map<std::uint64_t, FrameCollector> frames_;
  std::thread thread_;
};

// "fake" as msgpack: what the fake agent's workers return.
constexpr const char* kFake = "\xa4"
                              "fake";

// tqd with only an agent endpoint, on 127.0.0.1 and a port of its own
// choosing, its allow-list holding agents "a" and "b" (keys in the test);
// "c" has a key that is not on the list.
class AgentEndpointTest : public ::testing::Test {
 protected:
  AgentEndpointTest() : head_(keys::GenerateKeyPair()), tqd_(Options()) {
    const std::string log = tqd_.Log();
    const std::string said = "listening for agents on ";
    const auto at = log.find(said);
    if (at != std::string::npos) {
      const auto begin = at + said.size();
      endpoint_ = log.substr(begin, log.find_first_of(" \n", begin) - begin);
    }
  }

  TqdOptions Options() {
    std::filesystem::create_directories(keys_.File("allowed"));
    keys::WriteKeyPair(keys_.File("head"), head_, "tqd", false);
    for (auto* key : {&a_, &b_}) {
      const std::string name = key == &a_ ? "a" : "b";
      keys::WriteKeyPair(keys_.File(name), *key, "agent " + name, false);
      std::filesystem::copy_file(keys_.File(name + ".pub"), keys_.File("allowed/" + name + ".pub"));
    }
    keys::WriteKeyPair(keys_.File("c"), c_, "agent c", false);
    return {.workers = 0,
            .extra_args = {"--workers", "0", "--agents", "tcp://127.0.0.1:*", "--curve-key",
                           keys_.File("head.key"), "--agent-keys", keys_.File("allowed"),
                           "--agent-beat", "100ms", "--agent-deadline", "1s"}};
  }

  std::unique_ptr<FakeAgent> Agent(std::optional<keys::KeyPair> key) {
    return std::make_unique<FakeAgent>(endpoint_, head_.public_z85, std::move(key));
  }
  // A session of agent "a" on `host` whose one worker (pid `pid`) is up.
  // Returns its channel.
  std::uint64_t Open(FakeAgent& agent, const std::string& host, std::uint32_t pid) {
    agent.Hello(host);
    auto welcome = agent.Await<proto::AgentWelcome>();
    EXPECT_TRUE(welcome.has_value()) << tqd_.Log();
    if (!welcome) return 0;
    EXPECT_EQ(welcome->m.beat_ms, 100u);
    EXPECT_EQ(welcome->m.deadline_ms, 1000u);
    const std::uint64_t ch = agent.StartWorker(pid);
    EXPECT_NE(ch, 0u) << tqd_.Log();
    EXPECT_TRUE(WaitFor("its worker listed", [&] { return WorkerOf(pid).has_value(); }))
        << tqd_.Log();
    return ch;
  }

  CommandResult Tq(std::vector<std::string> args) {
    args.insert(args.begin(), BinPath("tq"));
    return RunCommand(args, "", {"TQ_ENDPOINT=" + tqd_.endpoint()});
  }
  // Submits echo(x); its id.
  std::string Submit() {
    auto r = Tq({"submit", "echo", "\"x\""});
    EXPECT_EQ(r.code(), 0) << r.err;
    return r.out.substr(0, r.out.find('\n'));
  }
  Json Status(const std::string& id) {
    auto r = Tq({"status", "--json", id});
    EXPECT_EQ(r.code(), 0) << r.err;
    return Json::parse(r.out, nullptr, false);
  }
  std::string State(const std::string& id) {
    const Json j = Status(id);
    return j.is_object() ? j.value("state", "") : "";
  }
  // The worker `tq workers --json` lists with this pid.
  std::optional<Json> WorkerOf(std::uint32_t pid) {
    auto r = Tq({"workers", "--json"});
    if (r.code() != 0) return std::nullopt;
    const Json all = Json::parse(r.out, nullptr, false);
    if (!all.is_array()) return std::nullopt;
    for (const Json& w : all) {
      if (w.value("pid", 0u) == pid) return w;
    }
    return std::nullopt;
  }
  bool LogHas(const std::string& text) { return tqd_.Log().find(text) != std::string::npos; }

  TempDir keys_;
  keys::KeyPair head_;
  keys::KeyPair a_ = keys::GenerateKeyPair();
  keys::KeyPair b_ = keys::GenerateKeyPair();
  keys::KeyPair c_ = keys::GenerateKeyPair();
  TqdProcess tqd_;
  std::string endpoint_;
};

TEST_F(AgentEndpointTest, AWelcomedFakeAgentsWorkerRunsATaskAndIsListedWithItsHost) {
  ASSERT_FALSE(endpoint_.empty()) << tqd_.Log();
  auto agent = Agent(a_);
  const std::uint64_t ch = Open(*agent, "fakehost-1", 4242);
  ASSERT_NE(ch, 0u);

  const std::string id = Submit();
  auto task = agent->NextTask(ch);
  ASSERT_TRUE(task.has_value()) << tqd_.Log();
  EXPECT_EQ(std::to_string(*task), id);
  agent->Result(ch, *task, kFake);
  auto waited = Tq({"wait", id});
  EXPECT_EQ(waited.code(), 0) << waited.err;
  EXPECT_EQ(waited.out, "\"fake\"\n");

  auto w = WorkerOf(4242);
  ASSERT_TRUE(w.has_value());
  EXPECT_EQ(w->value("host", ""), "fakehost-1");
  EXPECT_TRUE(w->contains("beat_age_ms")) << w->dump();
  EXPECT_EQ(w->value("tasks_done", 0), 1) << w->dump();
}

TEST_F(AgentEndpointTest, AReplayedMessageOfAnOldSessionIsIgnoredAndAnotherKeyCannotSpeakForOne) {
  ASSERT_FALSE(endpoint_.empty()) << tqd_.Log();
  auto agent = Agent(a_);
  const std::uint64_t ch1 = Open(*agent, "fakehost-1", 1001);
  ASSERT_NE(ch1, 0u);
  const std::uint64_t s1 = agent->session();
  const std::string lost = Submit();
  auto task = agent->NextTask(ch1);
  ASSERT_TRUE(task.has_value()) << tqd_.Log();

  // S1 falls silent: past the deadline its running task is lost.
  agent->set_beating(false);
  ASSERT_TRUE(WaitFor("the task lost", [&] { return State(lost) == "lost"; })) << tqd_.Log();
  EXPECT_NE(Status(lost).dump().find("unreachable"), std::string::npos) << Status(lost).dump();
  // What S1 would have sent next, kept for the replay.
  const proto::AgentHeader stale{s1, agent->sent() + 1};

  agent->set_beating(true);
  const std::uint64_t ch2 = Open(*agent, "fakehost-1", 1002);
  ASSERT_NE(ch2, 0u);
  ASSERT_NE(agent->session(), s1);

  // The old session's result of the lost task: dropped, answered
  // session_end with seq 0.
  const std::size_t before = agent->received();
  const std::string result = PipeFrame(
      proto::WorkerResult{.task_id = *task, .state = proto::TaskState::kDone, .value = kFake});
  agent->SendAs(proto::ChannelOutput{{}, ch1, result}, stale);
  auto end = agent->AwaitIf<proto::SessionEnd>(
      [](const proto::SessionEnd& m) { return m.h.seq == 0; }, 20s, s1, before);
  ASSERT_TRUE(end.has_value()) << tqd_.Log();
  EXPECT_EQ(State(lost), "lost");

  // S2 works; a result for its task sent with S2's id and seq from
  // another allowed key is dropped, and S2 goes on unaffected.
  const std::string id = Submit();
  auto task2 = agent->NextTask(ch2);
  ASSERT_TRUE(task2.has_value()) << tqd_.Log();
  auto other = Agent(b_);
  const std::string forged = PipeFrame(proto::WorkerResult{
      .task_id = *task2, .state = proto::TaskState::kDone, .value = "\xa6" "forged"});
  other->SendAs(proto::ChannelOutput{{}, ch2, forged}, {agent->session(), agent->sent() + 1});
  ASSERT_TRUE(WaitFor("the forged message dropped",
                      [&] { return LogHas("agent b: dropped a message of agent a's session"); }))
      << tqd_.Log();
  agent->Result(ch2, *task2, kFake);
  auto waited = Tq({"wait", id});
  EXPECT_EQ(waited.out, "\"fake\"\n") << waited.err;
  EXPECT_EQ(State(lost), "lost");
  EXPECT_FALSE(agent->Await<proto::SessionEnd>(300ms).has_value()) << tqd_.Log();
  EXPECT_EQ(tqd_.Log().find("lost messages"), std::string::npos) << tqd_.Log();
}

TEST_F(AgentEndpointTest, ASeqGapEndsTheSessionAndItsRunningTaskIsLost) {
  ASSERT_FALSE(endpoint_.empty()) << tqd_.Log();
  auto agent = Agent(a_);
  const std::uint64_t ch = Open(*agent, "fakehost-1", 2001);
  ASSERT_NE(ch, 0u);
  const std::string id = Submit();
  ASSERT_TRUE(agent->NextTask(ch).has_value()) << tqd_.Log();

  agent->SkipSeq();  // the next beat is n + 2
  auto end = agent->Await<proto::SessionEnd>();
  ASSERT_TRUE(end.has_value()) << tqd_.Log();
  EXPECT_NE(end->m.h.seq, 0u);
  EXPECT_NE(std::string(end->m.why).find("lost messages"), std::string::npos) << end->m.why;
  EXPECT_TRUE(WaitFor("the task lost", [&] { return State(id) == "lost"; })) << tqd_.Log();
  EXPECT_TRUE(WaitFor("the worker unlisted", [&] { return !WorkerOf(2001).has_value(); }))
      << tqd_.Log();
}

TEST_F(AgentEndpointTest, AKeyNotInTheAllowListAndAPlaintextPeerGetNothingUntilSighupAllowsTheKey) {
  ASSERT_FALSE(endpoint_.empty()) << tqd_.Log();
  auto stranger = Agent(c_);
  stranger->Hello("fakehost-c");
  EXPECT_FALSE(stranger->Await<proto::AgentWelcome>(1s).has_value());
  EXPECT_EQ(stranger->received(), 0u);
  EXPECT_TRUE(WaitFor("the refusal logged", [&] {
    return LogHas("agent endpoint: refused 127.0.0.1") && LogHas("key not in the allow-list");
  })) << tqd_.Log();

  auto plain = Agent(std::nullopt);
  plain->Hello("fakehost-plain");
  EXPECT_FALSE(plain->Await<proto::AgentWelcome>(1s).has_value());
  EXPECT_EQ(plain->received(), 0u);
  EXPECT_TRUE(WaitFor("the refusal logged", [&] { return LogHas("not a CURVE client"); }))
      << tqd_.Log();

  std::filesystem::copy_file(keys_.File("c.pub"), keys_.File("allowed/c.pub"));
  tqd_.Kill(SIGHUP);
  ASSERT_TRUE(WaitFor("the list re-read", [&] { return LogHas("agent_keys: 3 keys allowed"); }))
      << tqd_.Log();
  // A new connection with that key is let in. (The refused socket itself
  // does not get through again: ZeroMQ gives up on a peer that failed
  // its handshake.)
  auto allowed = Agent(c_);
  allowed->Hello("fakehost-c");
  EXPECT_TRUE(allowed->Await<proto::AgentWelcome>().has_value()) << tqd_.Log();
  EXPECT_EQ(plain->received(), 0u);
}

TEST_F(AgentEndpointTest, AnAgentsByeWithRequeueReturnsItsRunningTaskToTheQueue) {
  ASSERT_FALSE(endpoint_.empty()) << tqd_.Log();
  auto agent = Agent(a_);
  const std::uint64_t ch = Open(*agent, "fakehost-1", 3001);
  ASSERT_NE(ch, 0u);
  const std::string id = Submit();
  auto task = agent->NextTask(ch);
  ASSERT_TRUE(task.has_value()) << tqd_.Log();
  const int attempts = Status(id).value("attempts", -1);

  agent->Send(proto::AgentBye{{}, true});
  ASSERT_TRUE(agent->Await<proto::SessionEnd>().has_value()) << tqd_.Log();
  EXPECT_TRUE(WaitFor("the task queued again", [&] { return State(id) == "queued"; }))
      << tqd_.Log();
  EXPECT_EQ(Status(id).value("attempts", -1), attempts) << Status(id).dump();

  // It runs on the next session, and ends with that one's result.
  auto second = Agent(b_);
  const std::uint64_t ch2 = Open(*second, "fakehost-2", 3002);
  ASSERT_NE(ch2, 0u);
  auto again = second->NextTask(ch2);
  ASSERT_TRUE(again.has_value()) << tqd_.Log();
  EXPECT_EQ(*again, *task);
  second->Result(ch2, *again, kFake);
  auto waited = Tq({"wait", id});
  EXPECT_EQ(waited.out, "\"fake\"\n") << waited.err;
}

TEST_F(AgentEndpointTest, AnAgentsByeWithoutRequeueDrainsItsWorkersAndThenEndsTheSession) {
  ASSERT_FALSE(endpoint_.empty()) << tqd_.Log();
  auto agent = Agent(a_);
  const std::uint64_t ch = Open(*agent, "fakehost-1", 4001);
  ASSERT_NE(ch, 0u);
  const std::string running = Submit();
  auto task = agent->NextTask(ch);
  ASSERT_TRUE(task.has_value()) << tqd_.Log();

  agent->Send(proto::AgentBye{{}, false});
  ASSERT_TRUE(WaitFor("the drain logged", [&] { return LogHas("is draining"); })) << tqd_.Log();
  const std::string waiting = Submit();
  agent->Result(ch, *task, kFake);
  auto waited = Tq({"wait", running});
  EXPECT_EQ(waited.out, "\"fake\"\n") << waited.err;

  // Its worker is retired, not given the task that waits.
  ASSERT_TRUE(agent->Await<proto::ChannelCloseInput>().has_value()) << tqd_.Log();
  EXPECT_FALSE(agent->NextTask(ch, 10ms).has_value());
  agent->Send(proto::ChannelExited{{}, ch, 0, std::nullopt, {}});
  auto end = agent->Await<proto::SessionEnd>();
  ASSERT_TRUE(end.has_value()) << tqd_.Log();
  EXPECT_EQ(end->m.why, "drained");
  EXPECT_NE(end->m.h.seq, 0u);
  EXPECT_EQ(State(waiting), "queued");
}

TEST_F(AgentEndpointTest, ABadAgentMessageIsDroppedAndTqdKeepsServing) {
  ASSERT_FALSE(endpoint_.empty()) << tqd_.Log();
  auto agent = Agent(a_);
  const std::uint64_t ch = Open(*agent, "fakehost-1", 5001);
  ASSERT_NE(ch, 0u);

  auto other = Agent(b_);
  other->SendBytes("\x01\x02 not msgpack at all");
  ASSERT_TRUE(WaitFor("the bad message logged", [&] { return LogHas("agent b: bad message"); }))
      << tqd_.Log();
  auto ping = Tq({"ping"});
  EXPECT_EQ(ping.code(), 0) << ping.err;

  // The live session still serves.
  const std::string id = Submit();
  auto task = agent->NextTask(ch);
  ASSERT_TRUE(task.has_value()) << tqd_.Log();
  agent->Result(ch, *task, kFake);
  auto waited = Tq({"wait", id});
  EXPECT_EQ(waited.out, "\"fake\"\n") << waited.err;
}

// {"v":1, "kind":"bogus", "s":session, "n":seq}
std::string UnknownKind(std::uint64_t session, std::uint64_t seq) {
  std::string m = "\x84\xa1v\x01\xa4kind\xa5" "bogus\xa1s\xcf";
  for (int i = 7; i >= 0; --i) m.push_back(static_cast<char>(session >> (8 * i)));
  m += "\xa1n\xcf";
  for (int i = 7; i >= 0; --i) m.push_back(static_cast<char>(seq >> (8 * i)));
  return m;
}

TEST_F(AgentEndpointTest, AMessageOfAnUnknownKindIsDroppedAndTqdKeepsServing) {
  ASSERT_FALSE(endpoint_.empty()) << tqd_.Log();
  auto agent = Agent(a_);
  const std::uint64_t ch = Open(*agent, "fakehost-1", 6001);
  ASSERT_NE(ch, 0u);
  agent->SendBytes(UnknownKind(agent->session(), agent->sent() + 1));
  ASSERT_TRUE(WaitFor("the bad message logged", [&] { return LogHas("agent a: bad message"); }))
      << tqd_.Log();
  auto ping = Tq({"ping"});
  EXPECT_EQ(ping.code(), 0) << ping.err;
  // PROTOCOL.md §10.2: tqd drops it, trusting none of it; the session,
  // whose seq the fake agent did not count it in, goes on.
  EXPECT_FALSE(agent->Await<proto::SessionEnd>(1s).has_value()) << tqd_.Log();
}

}  // namespace
}  // namespace tq::testing
