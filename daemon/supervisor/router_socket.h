// RouterSocket: tqd's ZeroMQ ROUTER, the only place that talks to cppzmq.
//
// Receives never block; sends never block either (a blocking send to one
// slow client would stall the whole daemon): with ZMQ_ROUTER_MANDATORY a
// send reports a client whose queue is full (kWouldBlock) or who is gone
// (kUnreachable) instead of silently dropping. ZeroMQ errors become Status
// here and go no further. Not thread-safe; lives on the loop's thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>
#include <zmq.hpp>

#include "peer_credentials.h"
#include "tq/proto/status.h"

namespace tq::daemon {

struct RouterOptions {
  std::size_t max_message_bytes = 0;  // ZMQ_MAXMSGSIZE: bigger frames drop the peer
  int high_water_mark = 10000;        // messages queued per client, each way
  // ZMTP heartbeats (PROTOCOL.md §1): a PING to every connection this
  // often; one silent for `heartbeat_timeout` is dropped, and the PINGs
  // tell clients to drop tqd after that long without traffic (TTL). 0: off.
  std::chrono::milliseconds heartbeat_interval{0};
  std::chrono::milliseconds heartbeat_timeout{0};
  // A listening socket to serve instead of binding one (socket activation,
  // ZMQ_USE_FD); the RouterSocket owns it from Bind() on, failing or not.
  // -1: bind the endpoint.
  int use_fd = -1;
  // CURVE server with this secret key (Z85), ZAP authenticating each
  // client in `zap_domain` (zap_handler.h); "": no encryption (clients).
  std::string curve_secret_z85;
  std::string zap_domain;
};

// One client message: the client's routing identity and its frames.
struct Incoming {
  zmq::message_t identity;
  zmq::message_t payload;             // the first frame
  std::vector<zmq::message_t> batch;  // the frames after it: a batch (PROTOCOL.md §1)
  PeerCredentials peer;               // known on ipc:// only
};

// Several replies to one client, sent as the frames of one message (a
// batch, PROTOCOL.md §1): their bytes back to back, and where each ends.
struct ReplyBatch {
  std::string bytes;
  std::vector<std::uint32_t> ends;

  void Add(std::string_view reply) {
    bytes.append(reply);
    ends.push_back(static_cast<std::uint32_t>(bytes.size()));
  }
  std::size_t size() const { return ends.size(); }
  std::string_view at(std::size_t i) const {
    const std::uint32_t begin = i == 0 ? 0 : ends[i - 1];
    return std::string_view(bytes).substr(begin, ends[i] - begin);
  }
};

class RouterSocket {
 public:
  enum class SendResult { kSent, kWouldBlock, kUnreachable };

  // Binds `endpoint`, or serves `options.use_fd` as that endpoint. An
  // ipc:// socket is created mode 0660 (owner and group may connect), with
  // no moment of another mode: the process umask is 0117 during the bind.
  static proto::Result<RouterSocket> Bind(zmq::context_t& context,
                                          const std::string& endpoint,
                                          const RouterOptions& options);

  // For zmq::poll.
  void* handle() { return socket_.handle(); }

  // Takes the next message if one is waiting; false when none is.
  bool Receive(Incoming* in);
  SendResult Send(std::string_view identity, std::string_view payload);
  // Replies [first, first + count) of `batch` as the frames of one
  // message: all of them or, when the result is not kSent, none.
  SendResult SendBatch(std::string_view identity, const ReplyBatch& batch, std::size_t first,
                       std::size_t count);
  // The endpoint actually bound (resolves tcp://127.0.0.1:* to a port).
  std::string LastEndpoint();
  // Lets queued replies drain for up to `linger_ms` when the socket closes.
  void SetLinger(int linger_ms);

 private:
  explicit RouterSocket(zmq::socket_t socket) : socket_(std::move(socket)) {}
  zmq::socket_t socket_;
};

}  // namespace tq::daemon
