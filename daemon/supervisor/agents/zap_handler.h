// ZapHandler: who may connect to tqd's agent endpoint.
//
// ZeroMQ asks a ZAP handler (RFC 27, a REP socket on inproc://zeromq.zap.01
// in the same context) about every CURVE handshake on a socket with a ZAP
// domain. This one answers from tqd's loop: the client's public key must be
// in the allow-list (a directory of *.pub files, keys/curve_keys.h), and the
// agent is then known by its key file's name, which ZeroMQ attaches to each
// of its messages as "User-Id". A refusal is logged with the peer's address.
// The handler must be bound before the socket it guards, or ZeroMQ lets
// every key in. Not thread-safe; lives on the loop's thread.
#pragma once

#include <map>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "tq/proto/status.h"

namespace tq::daemon {

class ZapHandler {
 public:
  // The allowed keys: name -> public key (Z85).
  using AllowList = std::map<std::string, std::string>;

  static proto::Result<ZapHandler> Start(zmq::context_t& context, const AllowList& allowed);

  // For the loop's poll.
  void* handle() { return socket_.handle(); }
  // Answers the requests waiting.
  void OnReadable();
  // Takes effect for the next handshake (SIGHUP); connected agents stay.
  void set_allowed(const AllowList& allowed);
  std::size_t allowed() const { return by_key_.size(); }
  // Handshakes refused so far.
  std::uint64_t refused() const { return refused_; }

 private:
  explicit ZapHandler(zmq::socket_t socket) : socket_(std::move(socket)) {}

  zmq::socket_t socket_;
  std::map<std::string, std::string> by_key_;  // binary public key -> name
  std::uint64_t refused_ = 0;
};

// Reads an allow-list directory into names and keys; a KeyError's text
// becomes the Status.
proto::Result<ZapHandler::AllowList> ReadAgentKeys(const std::string& dir);

}  // namespace tq::daemon
