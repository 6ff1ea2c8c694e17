// ClientWatch.
#include "client_watch.h"

#include <cstring>

namespace tq::daemon {

proto::Result<ClientWatch> ClientWatch::Start(zmq::context_t& context, void* router,
                                              OnGone on_gone) {
  // One monitor per tqd; tqd has one ROUTER.
  static constexpr const char* kEndpoint = "inproc://tqd-client-watch";
  try {
    if (zmq_socket_monitor(router, kEndpoint, ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED) != 0) {
      throw zmq::error_t();
    }
    zmq::socket_t monitor(context, zmq::socket_type::pair);
    // No limit on queued events: the monitor's sender is libzmq's I/O
    // thread, which must never wait on us.
    monitor.set(zmq::sockopt::rcvhwm, 0);
    monitor.set(zmq::sockopt::linger, 0);
    monitor.connect(kEndpoint);
    return ClientWatch(std::move(monitor), std::move(on_gone));
  } catch (const zmq::error_t& e) {
    return proto::Status(proto::ErrorCode::kIo, std::string("socket monitor: ") + e.what());
  }
}

void ClientWatch::Drain() {
  for (;;) {
    zmq::message_t event;
    try {
      if (!monitor_.recv(event, zmq::recv_flags::dontwait)) return;
      zmq::message_t address;
      if (event.more()) (void)monitor_.recv(address, zmq::recv_flags::none);
    } catch (const zmq::error_t&) {
      return;
    }
    // Frame 1: the event (uint16) and its value (uint32: the fd).
    if (event.size() < 6) continue;
    std::uint16_t id = 0;
    std::uint32_t value = 0;
    std::memcpy(&id, event.data(), sizeof id);
    std::memcpy(&value, static_cast<const char*>(event.data()) + 2, sizeof value);
    const int fd = static_cast<int>(value);
    if (id == ZMQ_EVENT_ACCEPTED) {
      open_.insert(fd);
      continue;
    }
    if (id != ZMQ_EVENT_DISCONNECTED) continue;
    open_.erase(fd);
    auto it = clients_on_.find(fd);
    if (it == clients_on_.end()) continue;
    std::vector<std::string> gone = std::move(it->second);
    clients_on_.erase(it);
    for (const std::string& client : gone) {
      fd_of_.erase(client);
      on_gone_(client);
    }
  }
}

bool ClientWatch::Watch(std::string_view client, const zmq::message_t& message) {
  const int fd = zmq_msg_get(const_cast<zmq_msg_t*>(message.handle()), ZMQ_SRCFD);
  if (fd < 0) return true;  // a transport without fds: cannot be watched
  const std::string key(client);
  auto known = fd_of_.find(key);
  if (known != fd_of_.end() && known->second == fd) return true;
  // Every event queued before this message was, ours included, first.
  Drain();
  known = fd_of_.find(key);
  if (known != fd_of_.end()) {
    if (known->second == fd) return true;
    std::erase(clients_on_[known->second], key);  // it reconnected (fixed routing id)
    fd_of_.erase(known);
  }
  if (!open_.contains(fd)) return false;
  fd_of_.emplace(key, fd);
  clients_on_[fd].push_back(key);
  return true;
}

}  // namespace tq::daemon
