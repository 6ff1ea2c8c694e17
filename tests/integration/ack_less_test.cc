// Ack-less submits (PROTOCOL.md §2, `ack`): tqd sends no ACCEPTED for a
// submit with `ack` false, only its RESULT, matched by its req; its errors
// come as before. Against a real tqd: a lone one and one in a batch with
// acknowledged ones, its errors, a duplicate key, map's results, and what
// an ack-less apply_async can and cannot do. Against a stand-in ROUTER:
// map submits ack-less, and a tqd from before `ack` (UNKNOWN_FIELD) gets
// the submit again, acknowledged, and every later one so.
#include <gtest/gtest.h>
#include <tq/client.h>

#include <algorithm>
#include <deque>
#include <future>
#include <numeric>
#include <set>
#include <thread>
#include <variant>
#include <zmq.hpp>

#include "testing/raw_replies.h"
#include "testing/tqd_process.h"
#include "testing/wait_for.h"
#include "tq/proto/codec.h"

namespace tq {
namespace {

using namespace std::chrono_literals;
using testing::TqdOptions;
using testing::TqdProcess;
using testing::WaitFor;

// ---- raw frames ------------------------------------------------------------

struct Submit {
  std::uint64_t req;
  bool ack = false;
  std::string_view fn = "echo";
  std::string_view args = "\x91\x01";  // [1]
  std::string_view key = {};
};

std::string Frame(const Submit& s) {
  proto::SubmitRequest m;
  m.request_id = s.req;
  m.fn = s.fn;
  m.args = s.args;
  m.key = s.key;
  m.ack = s.ack;
  proto::Buffer b;
  proto::Encode(m, b);
  return std::string(b.view());
}

using Reply = testing::RawReply;
using testing::All;
using testing::ReadUntil;
using testing::SendBatch;

std::vector<Reply> For(const std::vector<Reply>& replies, std::uint64_t req) {
  std::vector<Reply> out;
  for (const Reply& r : replies) {
    if (r.req == req) out.push_back(r);
  }
  return out;
}

// ---- against a real tqd ----------------------------------------------------

TqdOptions Options() {
  TqdOptions o = testing::WithExamplePlugin();
  o.extra_args.insert(o.extra_args.end(), {"--no-durable", "--max-args-bytes", "65536"});
  return o;
}

class AckLessTest : public ::testing::Test {
 protected:
  AckLessTest() : context_(1), socket_(context_, zmq::socket_type::dealer) {
    socket_.set(zmq::sockopt::linger, 0);
    socket_.connect(tqd_.endpoint());
  }
  TqdProcess tqd_{Options()};
  zmq::context_t context_;
  zmq::socket_t socket_;
};

TEST_F(AckLessTest, AnAckLessSubmitGetsNoAcceptedButItsResultByItsReq) {
  SendBatch(socket_, {Frame({.req = 5})});
  // A ping after it: its pong comes after any ACCEPTED would have.
  proto::Buffer ping;
  proto::Encode(proto::PingRequest{6}, ping);
  SendBatch(socket_, {std::string(ping.view())});
  const auto replies = ReadUntil(socket_, [](const std::vector<Reply>& r) {
    return All(r, "result").size() == 1 && !For(r, 6).empty();
  });
  const auto mine = For(replies, 5);
  ASSERT_EQ(mine.size(), 1u);
  EXPECT_EQ(mine[0].kind, "result");
  EXPECT_EQ(mine[0].state, proto::TaskState::kDone);
  EXPECT_EQ(mine[0].value, "\x91\x01");
  EXPECT_NE(mine[0].task, 0u);
  EXPECT_EQ(All(replies, "accepted").size(), 0u);
}

TEST_F(AckLessTest, AnAckLessSubmitsErrorsStillCome) {
  SendBatch(socket_, {Frame({.req = 1, .fn = "nosuch"})});
  SendBatch(socket_, {Frame({.req = 2, .args = std::string_view("\x01", 1)})});  // not an array
  const std::string big = "\xdd\x00\x01\x11\x70" + std::string(70000, '\x01');  // > 65536
  SendBatch(socket_, {Frame({.req = 3, .args = big})});
  const auto replies =
      ReadUntil(socket_, [](const std::vector<Reply>& r) { return All(r, "error").size() == 3; });
  ASSERT_EQ(replies.size(), 3u);
  EXPECT_EQ(For(replies, 1).at(0).code, "UNKNOWN_FUNCTION");
  EXPECT_EQ(For(replies, 2).at(0).code, "BAD_VALUE");
  EXPECT_EQ(For(replies, 3).at(0).code, "TOO_LARGE");
}

TEST_F(AckLessTest, AckedAndAckLessSubmitsInOneBatchEachGetWhatTheyAskedFor) {
  SendBatch(socket_, {Frame({.req = 1, .ack = true}), Frame({.req = 2}),
                        Frame({.req = 3, .ack = true}), Frame({.req = 4, .fn = "nosuch"}),
                        Frame({.req = 5})});
  const auto replies = ReadUntil(socket_, [](const std::vector<Reply>& r) {
    return All(r, "result").size() == 4 && All(r, "error").size() == 1;
  });
  for (std::uint64_t req : {1, 3}) {
    const auto mine = For(replies, req);
    ASSERT_EQ(mine.size(), 2u) << req;
    EXPECT_EQ(mine[0].kind, "accepted");
    EXPECT_EQ(mine[1].kind, "result");
    EXPECT_EQ(mine[1].task, mine[0].task);
  }
  for (std::uint64_t req : {2, 5}) {
    const auto mine = For(replies, req);
    ASSERT_EQ(mine.size(), 1u) << req;
    EXPECT_EQ(mine[0].kind, "result");
    EXPECT_EQ(mine[0].state, proto::TaskState::kDone);
  }
  ASSERT_EQ(For(replies, 4).size(), 1u);
  EXPECT_EQ(For(replies, 4)[0].code, "UNKNOWN_FUNCTION");
  std::set<std::uint64_t> tasks;
  for (const Reply& r : replies) {
    if (r.kind == "result") tasks.insert(r.task);
  }
  EXPECT_EQ(tasks.size(), 4u);  // a task each
}

TEST_F(AckLessTest, AnAckLessSubmitOfAKnownKeyGetsThatTasksResultAndNoAccepted) {
  SendBatch(socket_, {Frame({.req = 1, .ack = true, .key = "k"})});
  auto replies = ReadUntil(socket_, [](const std::vector<Reply>& r) { return All(r, "result").size() == 1; });
  ASSERT_EQ(For(replies, 1).size(), 2u);
  const std::uint64_t task = For(replies, 1)[1].task;
  SendBatch(socket_, {Frame({.req = 2, .key = "k"})});
  replies = ReadUntil(socket_, [](const std::vector<Reply>& r) { return All(r, "result").size() == 1; });
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].req, 2u);
  EXPECT_EQ(replies[0].kind, "result");
  EXPECT_EQ(replies[0].task, task);  // the same task, not a new one
}

TEST_F(AckLessTest, MapResultsComeExactlyOnceAndInInputOrder) {
  Client client(tqd_.endpoint());
  std::vector<long> inputs(3000);
  std::iota(inputs.begin(), inputs.end(), 0);
  for (std::size_t chunksize : {std::size_t{1}, std::size_t{0}}) {
    MapOptions options;
    options.chunksize = chunksize;
    const std::vector<long> squares = client.map<long>("square", inputs, options);
    ASSERT_EQ(squares.size(), inputs.size()) << "chunksize " << chunksize;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      ASSERT_EQ(squares[i], inputs[i] * inputs[i]) << "chunksize " << chunksize << ", input " << i;
    }
  }
  // Each task ran once: each input once with chunks of 1, and the chunks
  // once (every task done, none beyond what was submitted).
  const QueueStats stats = client.stats();
  const auto square = std::find_if(stats.functions.begin(), stats.functions.end(),
                                   [](const auto& f) { return f.fn == "square"; });
  ASSERT_NE(square, stats.functions.end());
  EXPECT_GE(square->submitted, inputs.size());
  EXPECT_EQ(square->ended.done, square->submitted);
  EXPECT_EQ(square->ended.total(), square->submitted);
}

TEST_F(AckLessTest, AnAckLessApplyAsyncHasNoIdAndCannotBeCancelledBeforeItsResult) {
  Client client(tqd_.endpoint());
  SubmitOptions o;
  o.ack = false;
  auto sleeper = client.apply_async<void>(o, "sleep", 60000);
  ASSERT_TRUE(WaitFor([&] { return client.stats().running == 1; }));
  // tqd has answered a request sent after the submit: an ACCEPTED would
  // have come before that answer.
  EXPECT_EQ(sleeper.raw().task_id(), 0u);
  EXPECT_FALSE(sleeper.cancel());
  EXPECT_FALSE(sleeper.ready());
  // A quick one: its id comes with its result.
  auto quick = client.apply_async<long>(o, "square", 7);
  EXPECT_EQ(quick.get(), 49);
  EXPECT_NE(quick.task_id(), 0u);
  EXPECT_EQ(quick.raw().task_id(), quick.outcome().task_id);
  EXPECT_TRUE(sleeper.forget());  // stops waiting, as for any call
  EXPECT_EQ(sleeper.outcome().kind, Outcome::Kind::kForgotten);
}

// ---- against a stand-in ROUTER ---------------------------------------------

class AckLessStandInTest : public ::testing::Test {
 protected:
  AckLessStandInTest() : context_(1), router_(context_, zmq::socket_type::router) {
    router_.set(zmq::sockopt::linger, 0);
    router_.bind("tcp://127.0.0.1:*");
    options_.endpoint = router_.get(zmq::sockopt::last_endpoint);
    options_.connect_timeout = 60s;
  }

  // The submits of the next client message that has any, and its routing
  // id. Pings before it (libtq's probe) are counted in pings_.
  std::vector<proto::SubmitRequest> ReceiveSubmits(std::string* id) {
    std::vector<proto::SubmitRequest> submits;
    while (submits.empty()) {
      zmq::pollitem_t item{router_.handle(), 0, ZMQ_POLLIN, 0};
      if (zmq::poll(&item, 1, 20s) != 1) {
        ADD_FAILURE() << "no submit came";
        break;
      }
      zmq::message_t routing, part;
      (void)router_.recv(routing, zmq::recv_flags::dontwait);
      *id = routing.to_string();
      do {
        if (!router_.recv(part, zmq::recv_flags::dontwait)) break;
        frames_.push_back(part.to_string());
        auto m = decoder_.DecodeClient(frames_.back());
        EXPECT_TRUE(m.ok()) << m.status().ToString();
        if (m.ok() && std::holds_alternative<proto::SubmitRequest>(*m)) {
          submits.push_back(std::get<proto::SubmitRequest>(*m));
        }
        if (m.ok() && std::holds_alternative<proto::PingRequest>(*m)) ++pings_;
      } while (part.more());
    }
    return submits;
  }

  template <typename M>
  void Answer(const std::string& id, const M& m) {
    proto::Buffer b;
    proto::Encode(m, b);
    router_.send(zmq::buffer(id), zmq::send_flags::sndmore);
    router_.send(zmq::buffer(b.view()), zmq::send_flags::none);
  }

  zmq::context_t context_;
  zmq::socket_t router_;
  ClientOptions options_;
  proto::Decoder decoder_;
  std::deque<std::string> frames_;  // the submits' views point here
  int pings_ = 0;
};

TEST_F(AckLessStandInTest, MapSubmitsAckLess) {
  Client client(options_);
  std::thread answer([&] {
    std::string id;
    const auto submits = ReceiveSubmits(&id);
    ASSERT_EQ(submits.size(), 1u);
    EXPECT_FALSE(submits[0].ack);
    Answer(id, proto::TaskResult{submits[0].request_id, 1, proto::TaskState::kDone, 1,
                                 "\x04", {}});
  });
  MapOptions options;
  options.chunksize = 1;
  EXPECT_EQ(client.map<long>("square", std::vector<long>{2}, options), std::vector<long>{4});
  answer.join();
}

TEST_F(AckLessStandInTest, TheFirstAckLessSubmitOfAConnectionIsFollowedByOnePing) {
  // Its pong, which comes after any refusal of the submit, tells libtq
  // that tqd took `ack`, so it need not keep the frames to send again.
  RawClient client(options_);
  SubmitOptions o;
  o.ack = false;
  std::vector<RawResult> results;
  std::string id;
  for (int i = 0; i < 3; ++i) {
    results.push_back(client.Submit("echo", "\x91\x01", o));
    ASSERT_EQ(ReceiveSubmits(&id).size(), 1u);
  }
  EXPECT_EQ(pings_, 1);  // read before the second submit's message
}

TEST_F(AckLessStandInTest, AProbeWhoseSubmitFailedOtherwiseSettlesNothingAndTheNextProbesAgain) {
  // An old tqd checks `fn` before it finds the unknown `ack`: that error
  // and the pong after it do not show that it takes `ack`.
  RawClient client(options_);
  SubmitOptions o;
  o.ack = false;
  RawResult first = client.Submit("echo", "\x91\x01", o);
  std::string id;
  const auto submits = ReceiveSubmits(&id);
  ASSERT_EQ(submits.size(), 1u);
  Answer(id, proto::ErrorReply{submits[0].request_id, "BAD_VALUE", "submit: a bad fn"});
  ASSERT_TRUE(first.wait_for(20s));
  // The ping behind it, answered after the error.
  zmq::pollitem_t item{router_.handle(), 0, ZMQ_POLLIN, 0};
  ASSERT_EQ(zmq::poll(&item, 1, 20s), 1);
  zmq::message_t routing, ping;
  (void)router_.recv(routing, zmq::recv_flags::dontwait);
  (void)router_.recv(ping, zmq::recv_flags::dontwait);
  auto m = decoder_.DecodeClient(ping.to_string_view());
  ASSERT_TRUE(m.ok() && std::holds_alternative<proto::PingRequest>(*m));
  Answer(id, proto::Pong{.request_id = std::get<proto::PingRequest>(*m).request_id});
  // Once a ping of our own is answered, libtq has read that pong too (its
  // I/O thread reads in order): only then is the probe known to be over.
  auto synced = std::async(std::launch::async, [&] { return client.Ping(); });
  ASSERT_EQ(zmq::poll(&item, 1, 20s), 1);
  (void)router_.recv(routing, zmq::recv_flags::dontwait);
  (void)router_.recv(ping, zmq::recv_flags::dontwait);
  m = decoder_.DecodeClient(ping.to_string_view());
  ASSERT_TRUE(m.ok() && std::holds_alternative<proto::PingRequest>(*m));
  Answer(id, proto::Pong{.request_id = std::get<proto::PingRequest>(*m).request_id});
  synced.get();
  // The next ack-less submit is probed again: a ping follows it too.
  RawResult second = client.Submit("echo", "\x91\x02", o);
  ASSERT_EQ(ReceiveSubmits(&id).size(), 1u);
  RawResult third = client.Submit("echo", "\x91\x03", o);
  ASSERT_EQ(ReceiveSubmits(&id).size(), 1u);
  EXPECT_EQ(pings_, 1);  // the second probe, read before the third submit
}

TEST_F(AckLessStandInTest, ATqdFromBeforeAckGetsTheSubmitAgainAcknowledgedAndEveryLaterOne) {
  RawClient client(options_);
  SubmitOptions o;
  o.ack = false;
  RawResult first = client.Submit("echo", "\x91\x01", o);
  std::string id;
  auto submits = ReceiveSubmits(&id);
  ASSERT_EQ(submits.size(), 1u);
  ASSERT_FALSE(submits[0].ack);
  const std::uint64_t req = submits[0].request_id;
  // What a tqd before `ack` answers (PROTOCOL.md §9).
  Answer(id, proto::ErrorReply{req, "UNKNOWN_FIELD", "submit: unknown field 'ack'"});
  submits = ReceiveSubmits(&id);
  ASSERT_EQ(submits.size(), 1u);
  EXPECT_TRUE(submits[0].ack);
  EXPECT_EQ(submits[0].request_id, req);
  EXPECT_EQ(submits[0].fn, "echo");
  EXPECT_EQ(submits[0].args, "\x91\x01");
  EXPECT_FALSE(first.ready());  // the refusal ended nothing
  Answer(id, proto::Accepted{req, 9, false});
  EXPECT_EQ(first.wait_accepted(), 9u);
  Answer(id, proto::TaskResult{req, 9, proto::TaskState::kDone, 1, "\x91\x01", {}});
  ASSERT_TRUE(first.wait_for(20s));
  EXPECT_EQ(first.outcome().kind, Outcome::Kind::kValue);
  EXPECT_EQ(first.outcome().value, "\x91\x01");
  // This connection's tqd does not know `ack`: the next goes without it.
  RawResult second = client.Submit("echo", "\x91\x02", o);
  submits = ReceiveSubmits(&id);
  ASSERT_EQ(submits.size(), 1u);
  EXPECT_TRUE(submits[0].ack);
}

}  // namespace
}  // namespace tq
