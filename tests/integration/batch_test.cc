// Batches (PROTOCOL.md §1): libtq sends the requests queued at one moment
// as one ZeroMQ message, a frame each, and tqd sends a batching client's
// replies of one loop turn together. Against a real tqd: order, priorities
// and exactly-once results hold; a bad element of a batch gets its own
// error and the rest are carried out; a client that never batches gets
// every reply as a lone message. Against a stand-in ROUTER: a lone request
// leaves at once as a message of its own, requests queued together leave
// as one batch, and a batch of replies completes each call once.
#include <gtest/gtest.h>
#include <tq/client.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <variant>
#include <zmq.hpp>

#include "testing/raw_replies.h"
#include "testing/temp_dir.h"
#include "testing/tqd_process.h"
#include "testing/wait_for.h"
#include "tq/proto/codec.h"

namespace tq {
namespace {

using namespace std::chrono_literals;
using testing::LibPath;
using testing::TqdOptions;
using testing::TqdProcess;
using testing::WaitFor;

// ---- raw frames ------------------------------------------------------------

std::string SubmitFrame(std::uint64_t req, std::string_view fn = "echo") {
  proto::SubmitRequest m;
  m.request_id = req;
  m.fn = fn;
  m.args = "\x91\x01";  // [1]
  proto::Buffer b;
  proto::Encode(m, b);
  return std::string(b.view());
}

std::string PingFrame(std::uint64_t req) {
  proto::Buffer b;
  proto::Encode(proto::PingRequest{req}, b);
  return std::string(b.view());
}

// {v: 1, kind: "submit", req: REQ, fn: 7}: readable up to its req.
std::string SubmitWithNumericFn(std::uint8_t req) {
  std::string f = "\x84\xa1v\x01\xa4kind\xa6submit\xa3req";
  f += static_cast<char>(req);  // positive fixint
  f += "\xa2" "fn\x07";
  return f;
}

using Reply = testing::RawReply;
using testing::All;
using testing::ReadUntil;
using testing::SendBatch;

const Reply* ErrorFor(const std::vector<Reply>& errors, std::uint64_t req) {
  for (const auto& e : errors) {
    if (e.req == req) return &e;
  }
  return nullptr;
}

// ---- against a real tqd ----------------------------------------------------

class BatchTest : public ::testing::Test {
 protected:
  TqdOptions Options(int workers) {
    TqdOptions o = testing::WithExamplePlugin();
    o.workers = workers;
    o.extra_args.insert(o.extra_args.end(),
                        {"--plugin", LibPath("libtq_supervision_tasks.so"), "--no-durable"});
    return o;
  }
};

TEST_F(BatchTest, TenThousandAsyncSubmitsFromOneClientEachGetTheirOwnResultOnce) {
  TqdProcess tqd(Options(2));
  Client client(tqd.endpoint());
  constexpr long kTasks = 10000;
  std::vector<AsyncResult<long>> results;
  results.reserve(kTasks);
  for (long i = 0; i < kTasks; ++i) results.push_back(client.apply_async<long>("square", i));
  std::set<std::uint64_t> ids;
  for (long i = 0; i < kTasks; ++i) {
    ASSERT_EQ(results[i].get(), i * i) << "task " << i;
    ids.insert(results[i].task_id());
  }
  EXPECT_EQ(ids.size(), static_cast<std::size_t>(kTasks));  // a task each
  // tqd ran each once: as many submitted and done as were sent.
  const QueueStats stats = client.stats();
  const auto square = std::find_if(stats.functions.begin(), stats.functions.end(),
                                   [](const auto& f) { return f.fn == "square"; });
  ASSERT_NE(square, stats.functions.end());
  EXPECT_EQ(square->submitted, static_cast<std::uint64_t>(kTasks));
  EXPECT_EQ(square->ended.done, static_cast<std::uint64_t>(kTasks));
}

TEST_F(BatchTest, SubmitsSentTogetherRunByPriorityThenInTheOrderSent) {
  TqdProcess tqd(Options(1));
  Client client(tqd.endpoint());
  const std::string record = tqd.dir().File("record");
  // The one worker is busy: the rest wait in the queue.
  auto blocker = client.apply_async<int>("steps", 1, 600000);
  const std::uint64_t blocker_id = blocker.task_id();
  ASSERT_TRUE(WaitFor([&] { return client.raw().Status(blocker_id).state == TaskState::kRunning; }));
  std::vector<AsyncResult<std::string>> queued;
  std::vector<std::string> expected_high, expected_low;
  for (int i = 0; i < 40; ++i) {
    SubmitOptions o;
    o.priority = i % 2 == 0 ? 0 : 5;
    const std::string token = (o.priority == 5 ? "high-" : "low-") + std::to_string(i);
    (o.priority == 5 ? expected_high : expected_low).push_back(token);
    queued.push_back(client.apply_async<std::string>(o, "record", record, token));
  }
  for (auto& r : queued) ASSERT_NE(r.raw().wait_accepted(), 0u);
  client.raw().Cancel(blocker_id);
  for (auto& r : queued) r.get();
  std::ifstream in(record);
  std::vector<std::string> order;
  for (std::string line; std::getline(in, line);) order.push_back(line);
  std::vector<std::string> expected = expected_high;
  expected.insert(expected.end(), expected_low.begin(), expected_low.end());
  EXPECT_EQ(order, expected);
}

class RawBatchTest : public ::testing::Test {
 protected:
  RawBatchTest() : context_(1), socket_(context_, zmq::socket_type::dealer) {
    socket_.set(zmq::sockopt::linger, 0);
    socket_.connect(tqd_.endpoint());
  }
  TqdProcess tqd_{[] {
    TqdOptions o;
    o.extra_args = {"--no-durable"};
    return o;
  }()};
  zmq::context_t context_;
  zmq::socket_t socket_;
};

TEST_F(RawBatchTest, ABadElementGetsItsOwnErrorAndTheRestOfTheBatchIsCarriedOut) {
  SendBatch(socket_, {SubmitFrame(1), SubmitWithNumericFn(2), "\xc1", SubmitFrame(4)});
  const auto frames = ReadUntil(socket_, [](const std::vector<Reply>& f) {
    return All(f, "result").size() == 2 && All(f, "error").size() == 2;
  });
  const auto errors = All(frames, "error");
  ASSERT_NE(ErrorFor(errors, 2), nullptr);
  EXPECT_EQ(ErrorFor(errors, 2)->code, "WRONG_TYPE");
  ASSERT_NE(ErrorFor(errors, 0), nullptr);  // not even msgpack: no req to tell
  EXPECT_EQ(ErrorFor(errors, 0)->code, "MALFORMED");
  std::set<std::uint64_t> accepted, done;
  for (const auto& a : All(frames, "accepted")) accepted.insert(a.req);
  for (const auto& r : All(frames, "result")) {
    EXPECT_EQ(r.state, proto::TaskState::kDone);
    done.insert(r.req);
  }
  EXPECT_EQ(accepted, (std::set<std::uint64_t>{1, 4}));
  EXPECT_EQ(done, (std::set<std::uint64_t>{1, 4}));
}

TEST_F(RawBatchTest, ARequestThatMayNotBeBatchedIsRefusedAsNotBatchable) {
  SendBatch(socket_, {SubmitFrame(1), PingFrame(2)});
  const auto frames = ReadUntil(socket_, [](const std::vector<Reply>& f) {
    return !All(f, "result").empty() && !All(f, "error").empty();
  });
  const auto errors = All(frames, "error");
  ASSERT_NE(ErrorFor(errors, 2), nullptr);
  EXPECT_EQ(ErrorFor(errors, 2)->code, "NOT_BATCHABLE");
  EXPECT_NE(ErrorFor(errors, 2)->message.find("ping may not be in a batch"), std::string::npos)
      << ErrorFor(errors, 2)->message;
  EXPECT_TRUE(All(frames, "pong").empty());
  ASSERT_EQ(All(frames, "result").size(), 1u);
  EXPECT_EQ(All(frames, "result")[0].req, 1u);
}

TEST_F(RawBatchTest, ABatchOverTheLimitIsRefusedAsTooLargeForEachOfItsRequests) {
  std::vector<std::string> frames;
  for (std::uint64_t req = 1; req <= proto::kMaxBatchRequests + 1; ++req) {
    frames.push_back(SubmitFrame(req));
  }
  SendBatch(socket_, frames);
  const auto replies = ReadUntil(socket_, [](const std::vector<Reply>& f) {
    return f.size() >= proto::kMaxBatchRequests + 1;
  });
  const auto errors = All(replies, "error");
  ASSERT_EQ(errors.size(), proto::kMaxBatchRequests + 1);
  std::set<std::uint64_t> told;
  for (const auto& e : errors) {
    EXPECT_EQ(e.code, "TOO_LARGE");
    told.insert(e.req);
  }
  EXPECT_EQ(told.size(), proto::kMaxBatchRequests + 1);
  EXPECT_NE(errors[0].message.find("the limit is 1024 requests"), std::string::npos)
      << errors[0].message;
  EXPECT_TRUE(All(replies, "accepted").empty());
}

TEST_F(RawBatchTest, AClientThatSendsLoneMessagesGetsLoneReplies) {
  for (std::uint64_t req = 1; req <= 20; ++req) {
    socket_.send(zmq::buffer(SubmitFrame(req)), zmq::send_flags::none);
  }
  const auto frames = ReadUntil(socket_, [](const std::vector<Reply>& f) {
    return All(f, "result").size() == 20;
  });
  EXPECT_EQ(All(frames, "accepted").size(), 20u);
  for (const Reply& f : frames) EXPECT_FALSE(f.in_batch);
}

TEST_F(RawBatchTest, AClientThatBatchesGetsTheRepliesOfOneTurnAsOneBatch) {
  // A submit of an unknown function is answered at once, in the turn that
  // reads it: the replies of one batch of them leave together.
  std::vector<std::string> frames;
  for (std::uint64_t req = 1; req <= 10; ++req) frames.push_back(SubmitFrame(req, "nosuch"));
  SendBatch(socket_, frames);
  const auto replies =
      ReadUntil(socket_, [](const std::vector<Reply>& f) { return f.size() == 10; });
  ASSERT_EQ(All(replies, "error").size(), 10u);
  for (const Reply& f : replies) EXPECT_TRUE(f.in_batch);
  for (std::uint64_t req = 1; req <= 10; ++req) {
    EXPECT_EQ(All(replies, "error")[req - 1].req, req);  // in order
  }
}

// ---- against a stand-in ROUTER ---------------------------------------------

// A ROUTER on a TCP port of its own, that the client connects to.
class StandInTest : public ::testing::Test {
 protected:
  StandInTest() : context_(1) {
    Bind("tcp://127.0.0.1:*");
    endpoint_ = router_->get(zmq::sockopt::last_endpoint);
  }

  void Bind(const std::string& endpoint) {
    router_.emplace(context_, zmq::socket_type::router);
    router_->set(zmq::sockopt::linger, 0);
    router_->bind(endpoint);
  }

  // One client message: its routing id and its frames.
  std::pair<std::string, std::vector<std::string>> Receive() {
    zmq::pollitem_t item{router_->handle(), 0, ZMQ_POLLIN, 0};
    EXPECT_EQ(zmq::poll(&item, 1, 20s), 1);
    zmq::message_t id, part;
    (void)router_->recv(id, zmq::recv_flags::dontwait);
    std::vector<std::string> frames;
    do {
      if (!router_->recv(part, zmq::recv_flags::dontwait)) break;
      frames.push_back(part.to_string());
    } while (part.more());
    return {id.to_string(), frames};
  }

  std::uint64_t RequestIdOf(const std::string& frame) {
    proto::Decoder decoder;
    auto m = decoder.DecodeClient(frame);
    EXPECT_TRUE(m.ok()) << m.status().ToString();
    if (!m.ok()) return 0;
    return std::visit([](const auto& r) { return r.request_id; }, *m);
  }

  ClientOptions Options() {
    ClientOptions o;
    o.endpoint = endpoint_;
    o.connect_timeout = 60s;
    return o;
  }

  zmq::context_t context_;
  std::optional<zmq::socket_t> router_;
  std::string endpoint_;
};

TEST_F(StandInTest, ALoneSubmitLeavesAtOnceAsAMessageOfItsOwn) {
  RawClient client(Options());
  RawResult result = client.Submit("echo", "\x91\x01", {});
  const auto [id, frames] = Receive();
  ASSERT_EQ(frames.size(), 1u);
  proto::Decoder decoder;
  auto m = decoder.DecodeClient(frames[0]);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  ASSERT_TRUE(std::holds_alternative<proto::SubmitRequest>(*m));
  EXPECT_EQ(std::get<proto::SubmitRequest>(*m).fn, "echo");
}

TEST_F(StandInTest, RequestsQueuedTogetherLeaveAsOneBatchInTheirOrder) {
  // An ipc:// socket that does not exist yet: the submits wait in the
  // client (up to its one-second grace for a socket file to appear) and
  // all leave when it connects. (Not a TCP port closed and bound again:
  // a connection to the closing listener would make the client reconnect.)
  const testing::TempDir dir;
  endpoint_ = "ipc://" + dir.File("late.sock");
  RawClient client(Options());
  std::vector<RawResult> results;
  for (int i = 0; i < 5; ++i) results.push_back(client.Submit("echo", "\x91\x01", {}));
  Bind(endpoint_);
  const auto [id, frames] = Receive();
  ASSERT_EQ(frames.size(), 5u);
  for (std::size_t i = 1; i < frames.size(); ++i) {
    EXPECT_LT(RequestIdOf(frames[i - 1]), RequestIdOf(frames[i]));
  }
}

TEST_F(StandInTest, AcceptedAndResultInOneMessageGiveEachCallOneOutcome) {
  RawClient client(Options());
  RawResult first = client.Submit("echo", "\x91\x01", {});
  auto [id, frames] = Receive();
  RawResult second = client.Submit("echo", "\x91\x02", {});
  auto [id2, frames2] = Receive();
  ASSERT_EQ(frames.size(), 1u);
  ASSERT_EQ(frames2.size(), 1u);
  const std::uint64_t req1 = RequestIdOf(frames[0]), req2 = RequestIdOf(frames2[0]);
  // Both answered in one message: ACCEPTED and RESULT of each, and a
  // second RESULT for the first, which must change nothing.
  std::vector<std::string> reply;
  proto::Buffer b;
  auto add = [&](const auto& m) {
    b.clear();
    proto::Encode(m, b);
    reply.emplace_back(b.view());
  };
  add(proto::Accepted{req1, 7, false});
  add(proto::TaskResult{req1, 7, proto::TaskState::kDone, 1, "\x01", {}});
  add(proto::Accepted{req2, 8, false});
  add(proto::TaskResult{req2, 8, proto::TaskState::kDone, 1, "\x02", {}});
  add(proto::TaskResult{req1, 7, proto::TaskState::kDone, 1, "\x03", {}});
  router_->send(zmq::buffer(id), zmq::send_flags::sndmore);
  SendBatch(*router_, reply);
  ASSERT_TRUE(first.wait_for(20s));
  ASSERT_TRUE(second.wait_for(20s));
  EXPECT_EQ(first.outcome().kind, Outcome::Kind::kValue);
  EXPECT_EQ(first.outcome().value, "\x01");
  EXPECT_EQ(first.outcome().task_id, 7u);
  EXPECT_EQ(second.outcome().value, "\x02");
  EXPECT_EQ(second.outcome().task_id, 8u);
}

}  // namespace
}  // namespace tq
