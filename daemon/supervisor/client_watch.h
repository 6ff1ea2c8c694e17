// ClientWatch: tells tqd when a client connection it cares about closes.
//
// tqd's ROUTER does not report disconnects to the application: libzmq
// 4.3.4 (Debian 12) has ZMQ_ROUTER_NOTIFY only as a draft, and
// ZMQ_DISCONNECT_MSG came later. What it has is a socket monitor, whose
// ZMQ_EVENT_ACCEPTED and ZMQ_EVENT_DISCONNECTED carry the connection's
// file descriptor, and per-message metadata (ZMQ_SRCFD) naming the fd a
// message came in on. So a client is watched by the fd of its messages,
// and DISCONNECTED of that fd means it is gone: at once, and also when the
// ZMTP heartbeat timeout drops a silent peer. (Heartbeat leases kept by
// the application would tell only after a timeout, and only of clients
// that send them: the CLI and other-language clients do not.)
//
// Fds are reused, so the order of events matters: libzmq queues a
// connection's DISCONNECTED before it closes the fd, and its successor's
// ACCEPTED before any of its messages. Watch() therefore reads every
// queued event before it ties a new client to an fd, and an fd that has no
// ACCEPTED since its last DISCONNECTED belongs to a connection already
// gone: its late messages are to be dropped. Only watched clients (those
// that hold objects, wait, or started daemon or piped tasks) cost anything.
//
// Not thread-safe: tqd's loop owns it. The context must outlive it.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>
#include <zmq.hpp>

#include "tq/proto/status.h"

namespace tq::daemon {

class ClientWatch {
 public:
  using OnGone = std::function<void(const std::string& client)>;

  // Monitors `router` (a ROUTER socket of `context`) from now on; `on_gone`
  // is called from Drain() for each watched client whose connection closed.
  static proto::Result<ClientWatch> Start(zmq::context_t& context, void* router, OnGone on_gone);

  ClientWatch(ClientWatch&&) = default;
  ClientWatch& operator=(ClientWatch&&) = default;

  // For zmq::poll: readable when connection events are waiting.
  void* handle() { return monitor_.handle(); }

  // Reads every queued connection event, reporting gone clients.
  void Drain();

  // Watches the connection that `message` (one received from `client`)
  // came in on. False when that connection has already closed: what it
  // asked is to be dropped, as it would be had it come a moment earlier.
  bool Watch(std::string_view client, const zmq::message_t& message);

  std::size_t watched() const { return fd_of_.size(); }

 private:
  ClientWatch(zmq::socket_t monitor, OnGone on_gone)
      : monitor_(std::move(monitor)), on_gone_(std::move(on_gone)) {}

  zmq::socket_t monitor_;
  OnGone on_gone_;
  std::unordered_map<std::string, int> fd_of_;                   // watched client -> fd
  std::unordered_map<int, std::vector<std::string>> clients_on_;  // fd -> watched clients
  std::unordered_set<int> open_;  // fds with an ACCEPTED and no DISCONNECTED since
};

}  // namespace tq::daemon
