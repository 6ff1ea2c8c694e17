// Speaking the client side of the wire protocol by hand, for tests that
// send frames of their own (batches, ack-less submits): a message of
// several frames out, and tqd's replies in, each copied out of its frame.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "tq/proto/messages.h"

namespace zmq {
class socket_t;
}

namespace tq::testing {

// One reply as a raw client sees it.
struct RawReply {
  std::string kind;  // "accepted", "result", "error", "pong" or "other"
  std::uint64_t req = 0;
  std::uint64_t task = 0;     // of an accepted or a result
  std::string code, message;  // of an error
  std::string value;          // of a result that is done
  proto::TaskState state = proto::TaskState::kQueued;  // of a result
  bool in_batch = false;  // part of a message of several frames
};

// Sends `frames` as one message (a batch when there are several).
void SendBatch(zmq::socket_t& s, const std::vector<std::string>& frames);

// Reads replies until `done` says enough, or 20 s pass. A frame that does
// not decode fails the test.
std::vector<RawReply> ReadUntil(zmq::socket_t& s,
                                const std::function<bool(const std::vector<RawReply>&)>& done);

// The replies of one kind, in the order they came.
std::vector<RawReply> All(const std::vector<RawReply>& replies, std::string_view kind);

}  // namespace tq::testing
