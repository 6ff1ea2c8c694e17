// HeadLink: the agent's DEALER to tqd's agent endpoint, and the only place
// in the agent that talks to cppzmq.
//
// CURVE client (tqd's public key, the agent's own pair); ZMTP heartbeats so
// a dead TCP connection is noticed and dropped, and ZeroMQ's own reconnect
// (100 ms, backing off to 2 s). ZMQ_IMMEDIATE: nothing is queued for a
// connection that is not up, so hellos do not pile up while tqd is away.
//
// Session messages are kept in order: what the socket does not take now
// waits in a queue here, flushed when the socket is writable, never
// blocking the loop; the caller stops reading its workers while the queue
// is long. A socket monitor reports connects, losses and refused
// handshakes, which the link logs. Not thread-safe.
#pragma once

#include <cstddef>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <zmq.hpp>

#include "tq/proto/status.h"

namespace tq::agent {

struct LinkOptions {
  std::string endpoint;  // tcp://HEAD:PORT
  std::string server_public_z85;
  std::string public_z85;
  std::string secret_z85;
  std::size_t max_message_bytes = 0;  // ZMQ_MAXMSGSIZE for what tqd sends
};

class HeadLink {
 public:
  // Creates the socket and starts connecting (ZeroMQ connects in the
  // background: a head that is not up yet is no error). Errors: kConfig
  // for an endpoint ZeroMQ refuses ("tcp://head" without a port), kIo for
  // a socket that cannot be made.
  static proto::Result<HeadLink> Connect(zmq::context_t& context, const LinkOptions& options);

  // For zmq::poll: the DEALER, and the monitor's socket.
  void* handle() { return socket_.handle(); }
  void* monitor_handle() { return monitor_.handle(); }

  // Sends `bytes` now or not at all (a hello: none goes out while no
  // connection is up). True if sent.
  bool TrySend(std::string_view bytes);
  // Sends `bytes` after everything queued before it.
  void Send(std::string_view bytes);
  // Sends more of the queue (call when handle() is writable).
  void Flush();
  bool has_queued() const { return !queue_.empty(); }
  std::size_t queued_bytes() const { return queued_bytes_; }
  // Forgets the queue (the session it belonged to is over).
  void DropQueued();

  // The next message from tqd, if one is waiting.
  bool Receive(zmq::message_t* message);
  // Logs what the monitor saw (call when monitor_handle() is readable).
  void LogEvents();
  // tqd's ZAP handler refused this agent's key. ZeroMQ does not try again
  // on the same socket: the agent makes a new link after a while (the key
  // may be allowed meanwhile, tqd re-reads its allow-list on SIGHUP).
  bool refused() const { return refused_; }

  // ZMQ_LINGER is 0: what is unsent when the agent exits is dropped.
  void Close();

 private:
  HeadLink(zmq::socket_t socket, zmq::socket_t monitor, std::string endpoint)
      : socket_(std::move(socket)), monitor_(std::move(monitor)), endpoint_(std::move(endpoint)) {}

  zmq::socket_t socket_;
  zmq::socket_t monitor_;  // PAIR on the socket's monitor endpoint
  std::string endpoint_;
  std::deque<zmq::message_t> queue_;
  std::size_t queued_bytes_ = 0;
  bool connected_ = false;  // a handshake succeeded since the last loss
  bool refused_ = false;    // tqd refused this agent's key (ZAP)
};

}  // namespace tq::agent
