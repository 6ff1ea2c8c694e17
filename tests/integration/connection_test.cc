// What a client learns about its connection and tqd from the protocol
// itself (PROTOCOL.md §1, §3): heartbeats, tqd's instance, dropped
// replies, the function listing, stopping a wait, and the progress replay
// every joining request gets. Against a real tqd, from libtq and from raw
// frames as a client in another language would see them.
#include <gtest/gtest.h>
#include <signal.h>
#include <tq/client.h>

#include <algorithm>
#include <regex>
#include <set>
#include <variant>

#include "testing/raw_task.h"
#include "testing/temp_dir.h"
#include "testing/tqd_process.h"
#include "testing/wait_for.h"
#include "tq/proto/codec.h"

namespace tq {
namespace {

using namespace std::chrono_literals;
using testing::LibPath;
using testing::RawConnection;
using testing::TqdOptions;
using testing::TqdProcess;
using testing::WaitFor;
using Nil = msgpack::type::nil_t;

TqdOptions Supervision(std::vector<std::string> flags = {}) {
  TqdOptions o;
  o.extra_args = {"--plugin", LibPath("libtq_supervision_tasks.so")};
  for (auto& f : flags) o.extra_args.push_back(std::move(f));
  return o;
}

std::string Frame(const auto& message) {
  proto::Buffer b;
  proto::Encode(message, b);
  return std::string(b.view());
}

// ---- heartbeats -----------------------------------------------------------

TEST(ConnectionTest, CallsInFlightFailWithConnectionErrorWhenTqdStopsAnswering) {
  TqdProcess tqd(Supervision());
  ClientOptions options;
  options.endpoint = tqd.endpoint();
  options.heartbeat_interval = 200ms;
  options.heartbeat_timeout = 1s;
  Client client(options);
  auto running = client.apply_async<Nil>("sleep", 30000);
  ASSERT_TRUE(WaitFor("the task to run", [&] {
    return running.task_id() != 0 &&
           client.status(running.task_id()).state == TaskState::kRunning;
  }));

  ::kill(tqd.pid(), SIGSTOP);  // alive, connected, silent: as a vanished host
  const auto stopped = std::chrono::steady_clock::now();
  EXPECT_THROW(running.get(60s), ConnectionError);
  std::printf("in-flight call failed %lld ms after tqd stopped (heartbeat timeout 1 s)\n",
              static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                         std::chrono::steady_clock::now() - stopped)
                                         .count()));
  ::kill(tqd.pid(), SIGCONT);
  // The client reconnects by itself.
  EXPECT_TRUE(WaitFor("a call after tqd came back", [&] {
    try {
      return client.apply<std::vector<int>>("echo", 3) == std::vector<int>{3};
    } catch (const ConnectionError&) {
      return false;
    }
  }));
}

// ---- instance ---------------------------------------------------------------

TEST(ConnectionTest, PongCarriesAnInstanceIdThatChangesWhenTqdRestarts) {
  testing::TempDir dir;
  TqdOptions o;
  o.endpoint = "ipc://" + dir.File("tqd.sock");
  ServerInfo first, second;
  {
    TqdProcess tqd(o);
    first = Client(tqd.endpoint()).ping();
    ASSERT_EQ(tqd.Terminate().code, 0);
  }
  {
    TqdProcess tqd(o);
    Client client(tqd.endpoint());
    second = client.ping();
    EXPECT_EQ(client.ping().instance, second.instance);  // the same start
  }
  EXPECT_TRUE(std::regex_match(first.instance, std::regex("[0-9a-f]{32}"))) << first.instance;
  EXPECT_NE(first.instance, second.instance);
  EXPECT_GT(first.started_at_ms, 0);
  EXPECT_GE(second.started_at_ms, first.started_at_ms);
}

// ---- dropped replies --------------------------------------------------------

TEST(ConnectionTest, AClientThatDidNotReadIsToldHowManyRepliesWereDropped) {
  // A small cap, so a few thousand replies overflow it; heartbeats that
  // cannot drop the client while it does not read.
  TqdProcess tqd({.extra_args = {"--max-unread-reply-bytes", "64KiB", "--heartbeat-timeout",
                                 "120s"}});
  RawConnection a(tqd.endpoint());
  constexpr int kSubmits = 15000;
  const std::string args = testing::ArgsOf(std::string(100, 'x'));
  for (int i = 1; i <= kSubmits; ++i) {
    a.Send(Frame(proto::SubmitRequest{static_cast<std::uint64_t>(i), "echo", args}));
  }
  // Every task done, so no reply is still to come.
  Client b(tqd.endpoint());
  ASSERT_TRUE(WaitFor("every task to end", [&] { return b.stats().since_start.ended.done == kSubmits; }, 120s));
  ASSERT_NE(tqd.Log().find("unread replies"), std::string::npos) << "nothing was dropped";

  proto::Decoder decoder;
  std::uint64_t received = 0, dropped = 0, notices = 0;
  while (auto frame = a.Recv(2s)) {
    auto m = decoder.DecodeDaemon(*frame);
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    if (const auto* e = std::get_if<proto::ErrorReply>(&*m); e && e->request_id == 0) {
      EXPECT_EQ(e->code, "REPLIES_DROPPED");
      EXPECT_NE(std::string(e->message).find(std::to_string(e->dropped) + " replies"),
                std::string::npos)
          << e->message;
      dropped += e->dropped;
      ++notices;
      continue;
    }
    ++received;
  }
  EXPECT_GE(notices, 1u);
  EXPECT_GT(dropped, 0u);
  // Every reply either arrived or was counted as dropped: an accepted and a
  // result per submit.
  EXPECT_EQ(received + dropped, 2u * kSubmits);
  EXPECT_TRUE(a.Ping(777));
}

TEST(ConnectionTest, LibtqFailsItsCallsInFlightWhenTqdSaysItDroppedReplies) {
  // A stand-in for tqd: a ROUTER that accepts the task, then says it
  // dropped replies, as tqd does to a client that fell behind.
  testing::TempDir dir;
  const std::string endpoint = "ipc://" + dir.File("fake.sock");
  zmq::context_t context;
  zmq::socket_t router(context, zmq::socket_type::router);
  router.bind(endpoint);
  Client client(endpoint);
  auto r = client.apply_async<int>("square", 7);
  zmq::message_t identity, request;
  ASSERT_TRUE(router.recv(identity));
  ASSERT_TRUE(router.recv(request));
  proto::Decoder decoder;
  auto submit = decoder.DecodeClient(request.to_string_view());
  ASSERT_TRUE(submit.ok());
  const auto req = std::get<proto::SubmitRequest>(*submit).request_id;
  for (const std::string& reply :
       {Frame(proto::Accepted{req, 41}),
        Frame(proto::ErrorReply{0, "REPLIES_DROPPED", "7 replies to this connection were dropped",
                                7})}) {
    router.send(zmq::buffer(identity.to_string_view()), zmq::send_flags::sndmore);
    router.send(zmq::buffer(reply));
  }
  try {
    r.get(20s);
    FAIL() << "the call went on";
  } catch (const ConnectionError& e) {
    EXPECT_NE(std::string(e.what()).find("dropped 7 replies"), std::string::npos) << e.what();
  }
}

// ---- functions ----------------------------------------------------------------

TEST(ConnectionTest, FunctionsAreListedByNameWithThePluginThatOffersThem) {
  TqdProcess tqd(testing::WithExamplePlugin());
  Client client(tqd.endpoint());
  const std::vector<FunctionInfo> fns = client.functions();
  ASSERT_FALSE(fns.empty());
  EXPECT_TRUE(std::is_sorted(fns.begin(), fns.end(), [](const auto& a, const auto& b) {
    return a.name < b.name;
  }));
  auto find = [&](std::string_view name) {
    return std::find_if(fns.begin(), fns.end(), [&](const auto& f) { return f.name == name; });
  };
  ASSERT_NE(find("square"), fns.end());
  EXPECT_EQ(find("square")->origin, LibPath("libtq_example_tasks.so"));
  ASSERT_NE(find("exec"), fns.end());
  EXPECT_EQ(find("exec")->origin, "");  // built into tq-worker
  ASSERT_NE(find("echo"), fns.end());
}

// ---- stopping a wait ----------------------------------------------------------

TEST(ConnectionTest, ForgettingAResultStopsTheWaitButNotTheTask) {
  TqdProcess tqd(Supervision());
  Client client(tqd.endpoint());
  auto r = client.apply_async<int>("count", tqd.dir().File("counter"));
  const std::uint64_t id = r.task_id();
  ASSERT_NE(id, 0u);
  auto slow = client.apply_async<Nil>("sleep", 300);
  const std::uint64_t slow_id = slow.task_id();  // accepted
  EXPECT_TRUE(slow.forget());
  EXPECT_THROW(slow.get(5s), ForgottenError);
  EXPECT_FALSE(slow.forget());  // ended already
  // It ran on: any client can still wait for it by id.
  EXPECT_NO_THROW(client.wait<Nil>(slow_id).get(20s));
  EXPECT_EQ(r.get(20s), 1);
  // Forgotten before tqd even accepted it: the wait stops as soon as it does.
  auto early = client.apply_async<Nil>("sleep", 100);
  EXPECT_TRUE(early.forget());
  EXPECT_THROW(early.get(5s), ForgottenError);
  EXPECT_EQ(client.apply<int>("count", tqd.dir().File("counter")), 2);
}

TEST(ConnectionTest, AnUnwaitedRequestGetsNoMoreRepliesWhileOthersStillDo) {
  TqdProcess tqd(Supervision());
  RawConnection conn(tqd.endpoint());
  proto::SubmitRequest submit{1, "steps"};
  const std::string args = "\x92\x03\xcc\x64";  // [3, 100]: a report every 100 ms
  submit.args = args;
  conn.Send(Frame(submit));
  proto::Decoder decoder;
  std::uint64_t task = 0;
  while (task == 0) {
    auto f = conn.Recv();
    ASSERT_TRUE(f);
    auto m = decoder.DecodeDaemon(*f);
    ASSERT_TRUE(m.ok());
    if (auto* a = std::get_if<proto::Accepted>(&*m)) task = a->task_id;
  }
  conn.Send(Frame(proto::UnwaitRequest{2, task, 1}));
  conn.Send(Frame(proto::TaskRequest{3, proto::TaskVerb::kWait, task}));
  bool status_seen = false;
  for (;;) {
    auto f = conn.Recv();
    ASSERT_TRUE(f) << "no result for the wait";
    auto m = decoder.DecodeDaemon(*f);
    ASSERT_TRUE(m.ok());
    const std::uint64_t req = std::visit([](const auto& x) { return x.request_id; }, *m);
    if (std::holds_alternative<proto::TaskStatus>(*m)) {
      EXPECT_EQ(req, 2u);
      status_seen = true;
      continue;
    }
    // After the unwait's reply, nothing more for request 1.
    if (status_seen) {
      EXPECT_NE(req, 1u) << "request 1 still got a reply";
    }
    if (std::holds_alternative<proto::TaskResult>(*m) && req == 3) break;
  }
  EXPECT_TRUE(status_seen);
  // One connection cannot stop another's wait; an unknown task is NOT_FOUND.
  auto e = testing::SendForError(conn, Frame(proto::UnwaitRequest{4, 999999, 1}));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, "NOT_FOUND");
}

// ---- progress replay ----------------------------------------------------------

TEST(ConnectionTest, EveryRequestThatJoinsARunningTaskGetsItsLatestProgressAtOnce) {
  TqdProcess tqd(Supervision());
  RawConnection conn(tqd.endpoint());
  proto::SubmitRequest first{1, "steps"};
  const std::string args = "\x92\x05\xcd\x01\x2c";  // [5, 300]
  first.args = args;
  first.key = "replayed";
  conn.Send(Frame(first));
  proto::Decoder decoder;
  double latest = 0;
  std::uint64_t task = 0;
  while (latest == 0) {  // until the first report
    auto f = conn.Recv();
    ASSERT_TRUE(f);
    auto m = decoder.DecodeDaemon(*f);
    ASSERT_TRUE(m.ok());
    if (auto* a = std::get_if<proto::Accepted>(&*m)) task = a->task_id;
    if (auto* p = std::get_if<proto::TaskProgress>(&*m)) latest = p->done;
  }
  // A duplicate submit and a wait join it: each is caught up first, before
  // any later report (replies to one connection keep their order).
  proto::SubmitRequest again = first;
  again.request_id = 2;
  conn.Send(Frame(again));
  conn.Send(Frame(proto::TaskRequest{3, proto::TaskVerb::kWait, task}));
  std::vector<std::string> seen;  // each request's first reply of a kind
  std::set<std::uint64_t> caught_up;
  while (seen.size() < 3) {
    auto f = conn.Recv();
    ASSERT_TRUE(f);
    auto m = decoder.DecodeDaemon(*f);
    ASSERT_TRUE(m.ok());
    if (auto* a = std::get_if<proto::Accepted>(&*m)) {
      EXPECT_TRUE(a->duplicate);
      seen.push_back("accepted " + std::to_string(a->request_id));
    } else if (auto* p = std::get_if<proto::TaskProgress>(&*m)) {
      if (p->request_id == 1) {
        latest = p->done;
        continue;
      }
      if (!caught_up.insert(p->request_id).second) continue;  // a later report
      EXPECT_EQ(p->done, latest) << "not the latest report";
      seen.push_back("progress " + std::to_string(p->request_id));
    }
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"accepted 2", "progress 2", "progress 3"}));
}

}  // namespace
}  // namespace tq
