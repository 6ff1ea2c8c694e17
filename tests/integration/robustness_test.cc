// tqd against bad input: every malformed message gets a named error, the
// oversized one drops only its sender, and tqd keeps serving afterwards.
#include <gtest/gtest.h>
#include <msgpack.hpp>

#include <variant>

#include "testing/raw_task.h"
#include "testing/raw_tqd_test.h"
#include "testing/tqd_process.h"
#include "testing/wait_for.h"
#include "tq/proto/codec.h"

namespace tq {
namespace {

using namespace std::chrono_literals;
using testing::RawConnection;
using testing::TqdProcess;

constexpr auto SendAndExpectError = testing::SendForError;

// Builds a message map from (key, packer-callback) pairs.
template <typename F>
std::string Message(std::uint32_t fields, F&& fill) {
  msgpack::sbuffer buf;
  msgpack::packer<msgpack::sbuffer> pk(buf);
  pk.pack_map(fields);
  fill(pk);
  return std::string(buf.data(), buf.size());
}

class RobustnessTest : public testing::RawTqdTest {};

TEST_F(RobustnessTest, GarbageBytesGetMalformed) {
  for (std::string_view garbage : {std::string_view("garbage"), std::string_view("\xc1"),
                                   std::string_view("\x93\x01")}) {
    auto e = SendAndExpectError(conn_, garbage);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->code, "MALFORMED");
    EXPECT_EQ(e->request_id, 0u);
  }
  ExpectStillServing();
}

TEST_F(RobustnessTest, AnEmptyFrameGetsMalformed) {
  auto e = SendAndExpectError(conn_, "");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, "MALFORMED");
  EXPECT_EQ(e->message, "empty frame");
  ExpectStillServing();
}

TEST_F(RobustnessTest, AMultiFrameMessageGetsMalformed) {
  conn_.socket().send(zmq::str_buffer("one"), zmq::send_flags::sndmore);
  conn_.socket().send(zmq::str_buffer("two"), zmq::send_flags::none);
  auto reply = conn_.Recv();
  ASSERT_TRUE(reply);
  EXPECT_NE(reply->find("MALFORMED"), std::string::npos);
  ExpectStillServing();
}

TEST_F(RobustnessTest, EachBadFieldGetsItsNamedCodeAndEchoesTheRequestId) {
  struct Case {
    const char* what;
    std::string frame;
    const char* code;
  };
  auto header = [](auto& pk, const char* kind) {
    pk.pack(std::string("v"));
    pk.pack(1);
    pk.pack(std::string("kind"));
    pk.pack(std::string(kind));
    pk.pack(std::string("req"));
    pk.pack(17);
  };
  std::vector<Case> cases = {
      {"version 2", Message(3, [](auto& pk) {
         pk.pack(std::string("v")); pk.pack(2);
         pk.pack(std::string("kind")); pk.pack(std::string("ping"));
         pk.pack(std::string("req")); pk.pack(17);
       }), "BAD_VERSION"},
      {"unknown kind", Message(3, [&](auto& pk) { header(pk, "launch"); }), "UNKNOWN_KIND"},
      {"missing fn", Message(3, [&](auto& pk) { header(pk, "submit"); }), "MISSING_FIELD"},
      {"fn not a string", Message(4, [&](auto& pk) {
         header(pk, "submit"); pk.pack(std::string("fn")); pk.pack(5);
       }), "WRONG_TYPE"},
      {"non-UTF-8 fn", Message(4, [&](auto& pk) {
         header(pk, "submit"); pk.pack(std::string("fn")); pk.pack(std::string("\xff\xfe"));
       }), "BAD_VALUE"},
      {"args as an array", Message(5, [&](auto& pk) {
         header(pk, "submit"); pk.pack(std::string("fn")); pk.pack(std::string("echo"));
         pk.pack(std::string("args")); pk.pack(std::vector<int>{1});
       }), "WRONG_TYPE"},
      {"unknown field", Message(4, [&](auto& pk) {
         header(pk, "ping"); pk.pack(std::string("colour")); pk.pack(std::string("red"));
       }), "UNKNOWN_FIELD"},
      {"unknown function", Message(4, [&](auto& pk) {
         header(pk, "submit"); pk.pack(std::string("fn")); pk.pack(std::string("nope"));
       }), "UNKNOWN_FUNCTION"},
  };
  for (const Case& c : cases) {
    auto e = SendAndExpectError(conn_, c.frame);
    ASSERT_TRUE(e) << c.what;
    EXPECT_EQ(e->code, c.code) << c.what << ": " << e->message;
    EXPECT_EQ(e->request_id, 17u) << c.what;
  }
  ExpectStillServing();
}

TEST_F(RobustnessTest, MsgpackBombsAreRefusedCheaply) {
  const std::string bombs[] = {
      std::string("\xdd\xff\xff\xff\xff", 5),          // array claiming 2^32-1 items
      std::string("\xdf\xff\xff\xff\xff", 5),          // map claiming 2^32-1 pairs
      std::string("\xdb\x40\x00\x00\x00" "abc", 8),    // 1 GiB str, 3 bytes present
      std::string(100, '\x91') + "\x01",               // 100 nested arrays
  };
  for (const auto& bomb : bombs) {
    auto e = SendAndExpectError(conn_, bomb);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->code, "MALFORMED") << e->message;
  }
  ExpectStillServing();
}

TEST_F(RobustnessTest, AHundredMegabyteFrameDropsOnlyItsSender) {
  RawConnection bystander(tqd_.endpoint());
  ASSERT_TRUE(bystander.Ping(1));
  conn_.Send(std::string(100 * 1024 * 1024, 'x'));
  // tqd refuses it at the socket (ZMQ_MAXMSGSIZE) without buffering it.
  ExpectStillServing();
  EXPECT_TRUE(bystander.Ping(2));
}

TEST_F(RobustnessTest, AClientThatVanishesMidFlightHarmsNoOne) {
  {
    RawConnection leaver(tqd_.endpoint());
    proto::Buffer b;
    for (std::uint64_t i = 1; i <= 4; ++i) {
      b.clear();
      proto::Encode(proto::SubmitRequest{i, "sleep", "\x91\x64"}, b);  // sleep(100)
      leaver.Send(b.view());
    }
    ASSERT_TRUE(leaver.Recv());  // at least one ACCEPTED: tqd has the tasks
  }
  // Its results have nowhere to go; tqd drops them and carries on.
  ExpectStillServing();
  RawConnection stayer(tqd_.endpoint());
  proto::Buffer b;
  proto::Encode(proto::SubmitRequest{9, "echo", "\x91\x07"}, b);
  stayer.Send(b.view());
  proto::Decoder decoder;
  bool got_result = false;
  for (int i = 0; i < 2 && !got_result; ++i) {
    auto reply = stayer.Recv();
    ASSERT_TRUE(reply);
    auto m = decoder.DecodeDaemon(*reply);
    ASSERT_TRUE(m.ok());
    if (auto* r = std::get_if<proto::TaskResult>(&*m)) {
      EXPECT_EQ(r->request_id, 9u);
      EXPECT_EQ(r->value, "\x91\x07");
      got_result = true;
    }
  }
  EXPECT_TRUE(got_result);
}

TEST_F(RobustnessTest, AFullQueueAnswersQueueFull) {
  TqdProcess small({.workers = 1, .extra_args = {"--max-queued", "2"}});
  RawConnection c(small.endpoint());
  proto::Buffer b;
  proto::Decoder decoder;
  auto submit = [&](std::uint64_t i) {
    b.clear();
    proto::Encode(proto::SubmitRequest{i, "sleep", "\x91\xcd\x03\xe8"}, b);  // 1000 ms
    c.Send(b.view());
  };
  // The first is dispatched in the loop turn that accepted it, before tqd
  // reads anything else: then it runs, two wait, three are refused.
  submit(1);
  ASSERT_TRUE(c.Recv());
  for (std::uint64_t i = 2; i <= 6; ++i) submit(i);
  int accepted = 1, full = 0;
  while (accepted + full < 6) {
    auto reply = c.Recv();
    ASSERT_TRUE(reply);
    auto m = decoder.DecodeDaemon(*reply);
    ASSERT_TRUE(m.ok());
    if (std::holds_alternative<proto::Accepted>(*m)) ++accepted;
    if (auto* e = std::get_if<proto::ErrorReply>(&*m)) {
      EXPECT_EQ(e->code, "QUEUE_FULL");
      ++full;
    }
  }
  EXPECT_EQ(accepted, 3);
  EXPECT_EQ(full, 3);
}

}  // namespace
}  // namespace tq
