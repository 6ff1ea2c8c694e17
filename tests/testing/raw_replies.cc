#include "testing/raw_replies.h"

#include <gtest/gtest.h>

#include <chrono>
#include <variant>
#include <zmq.hpp>

#include "tq/proto/codec.h"

namespace tq::testing {
namespace {

RawReply Copy(const proto::DaemonMessage& m) {
  RawReply r;
  std::visit([&](const auto& msg) { r.req = msg.request_id; }, m);
  if (const auto* e = std::get_if<proto::ErrorReply>(&m)) {
    r.kind = "error";
    r.code.assign(e->code);
    r.message.assign(e->message);
  } else if (const auto* t = std::get_if<proto::TaskResult>(&m)) {
    r.kind = "result";
    r.task = t->task_id;
    r.state = t->state;
    r.value.assign(t->value);
  } else if (const auto* a = std::get_if<proto::Accepted>(&m)) {
    r.kind = "accepted";
    r.task = a->task_id;
  } else if (std::holds_alternative<proto::Pong>(m)) {
    r.kind = "pong";
  } else {
    r.kind = "other";
  }
  return r;
}

}  // namespace

void SendBatch(zmq::socket_t& s, const std::vector<std::string>& frames) {
  for (std::size_t i = 0; i < frames.size(); ++i) {
    s.send(zmq::buffer(frames[i]),
           i + 1 < frames.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
  }
}

std::vector<RawReply> ReadUntil(zmq::socket_t& s,
                                const std::function<bool(const std::vector<RawReply>&)>& done) {
  using namespace std::chrono_literals;
  std::vector<RawReply> replies;
  proto::Decoder decoder;
  const auto until = std::chrono::steady_clock::now() + 20s;
  bool multipart = false;
  while (!done(replies) && std::chrono::steady_clock::now() < until) {
    zmq::pollitem_t item{s.handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, 200ms) == 0) continue;
    zmq::message_t m;
    while (s.recv(m, zmq::recv_flags::dontwait)) {
      const bool more = m.more();
      auto decoded = decoder.DecodeDaemon(m.to_string_view());
      EXPECT_TRUE(decoded.ok()) << decoded.status().ToString();
      if (decoded.ok()) {
        replies.push_back(Copy(*decoded));
        replies.back().in_batch = more || multipart;
      }
      multipart = more;
    }
  }
  return replies;
}

std::vector<RawReply> All(const std::vector<RawReply>& replies, std::string_view kind) {
  std::vector<RawReply> out;
  for (const RawReply& r : replies) {
    if (r.kind == kind) out.push_back(r);
  }
  return out;
}

}  // namespace tq::testing
