// HeadLink.
#include "head_link.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <utility>

namespace tq::agent {
namespace {

using proto::ErrorCode;
using proto::Status;

// ZMTP heartbeats: a PING every second; a connection silent for 3 s is
// dropped and reconnected, on either side (the TTL tells tqd so).
constexpr int kHeartbeatIvlMs = 1000;
constexpr int kHeartbeatTimeoutMs = 3000;
constexpr int kReconnectIvlMs = 100;
constexpr int kReconnectIvlMaxMs = 2000;
// Messages queued inside ZeroMQ each way; ours wait in the link's queue.
constexpr int kHighWaterMark = 10000;

constexpr int kMonitoredEvents =
    ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |
    ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH;

// A name for the monitor's inproc endpoint that no other link in the
// process (tests make several) shares.
std::string MonitorEndpoint() {
  static std::atomic<unsigned> next{0};
  return "inproc://tq-agent-monitor-" + std::to_string(::getpid()) + "-" + std::to_string(next++);
}

}  // namespace

proto::Result<HeadLink> HeadLink::Connect(zmq::context_t& context, const LinkOptions& options) {
  try {
    zmq::socket_t s(context, zmq::socket_type::dealer);
    s.set(zmq::sockopt::curve_serverkey, options.server_public_z85);
    s.set(zmq::sockopt::curve_publickey, options.public_z85);
    s.set(zmq::sockopt::curve_secretkey, options.secret_z85);
    s.set(zmq::sockopt::heartbeat_ivl, kHeartbeatIvlMs);
    s.set(zmq::sockopt::heartbeat_timeout, kHeartbeatTimeoutMs);
    s.set(zmq::sockopt::heartbeat_ttl, kHeartbeatTimeoutMs);
    s.set(zmq::sockopt::reconnect_ivl, kReconnectIvlMs);
    s.set(zmq::sockopt::reconnect_ivl_max, kReconnectIvlMaxMs);
    s.set(zmq::sockopt::immediate, true);
    s.set(zmq::sockopt::sndhwm, kHighWaterMark);
    s.set(zmq::sockopt::rcvhwm, kHighWaterMark);
    s.set(zmq::sockopt::linger, 0);
    if (options.max_message_bytes > 0) {
      s.set(zmq::sockopt::maxmsgsize, static_cast<int64_t>(options.max_message_bytes));
    }
    const std::string monitor_endpoint = MonitorEndpoint();
    if (zmq_socket_monitor(s.handle(), monitor_endpoint.c_str(), kMonitoredEvents) != 0) {
      throw zmq::error_t();
    }
    zmq::socket_t monitor(context, zmq::socket_type::pair);
    monitor.set(zmq::sockopt::linger, 0);
    monitor.connect(monitor_endpoint);
    try {
      s.connect(options.endpoint);
    } catch (const zmq::error_t& e) {
      return Status(ErrorCode::kConfig, "--connect " + options.endpoint + ": " + e.what());
    }
    return HeadLink(std::move(s), std::move(monitor), options.endpoint);
  } catch (const zmq::error_t& e) {
    return Status(ErrorCode::kIo, "connect to " + options.endpoint + ": " + e.what());
  }
}

bool HeadLink::TrySend(std::string_view bytes) {
  try {
    return socket_.send(zmq::buffer(bytes.data(), bytes.size()), zmq::send_flags::dontwait)
        .has_value();
  } catch (const zmq::error_t& e) {
    spdlog::warn("send to tqd at {}: {}", endpoint_, e.what());
    return false;
  }
}

void HeadLink::Send(std::string_view bytes) {
  if (queue_.empty() && TrySend(bytes)) return;
  queue_.emplace_back(bytes.data(), bytes.size());
  queued_bytes_ += bytes.size();
}

void HeadLink::Flush() {
  try {
    while (!queue_.empty()) {
      const std::size_t size = queue_.front().size();
      if (!socket_.send(queue_.front(), zmq::send_flags::dontwait)) return;
      queue_.pop_front();
      queued_bytes_ -= size;
    }
  } catch (const zmq::error_t& e) {
    // Not EAGAIN (that is an empty result): the message cannot go. tqd
    // will see the gap in the session's numbering and end it.
    spdlog::warn("send to tqd at {}: {}", endpoint_, e.what());
    queued_bytes_ -= queue_.front().size();
    queue_.pop_front();
  }
}

void HeadLink::DropQueued() {
  queue_.clear();
  queued_bytes_ = 0;
}

bool HeadLink::Receive(zmq::message_t* message) {
  try {
    return socket_.recv(*message, zmq::recv_flags::dontwait).has_value();
  } catch (const zmq::error_t& e) {
    spdlog::warn("receive from tqd at {}: {}", endpoint_, e.what());
    return false;
  }
}

void HeadLink::LogEvents() {
  try {
    for (;;) {
      zmq::message_t event;
      if (!monitor_.recv(event, zmq::recv_flags::dontwait)) return;
      zmq::message_t address;
      if (event.more()) (void)monitor_.recv(address, zmq::recv_flags::dontwait);
      if (event.size() < 6) continue;
      std::uint16_t id = 0;
      std::uint32_t value = 0;
      std::memcpy(&id, event.data(), sizeof id);
      std::memcpy(&value, static_cast<const char*>(event.data()) + 2, sizeof value);
      switch (id) {
        case ZMQ_EVENT_HANDSHAKE_SUCCEEDED:
          connected_ = true;
          spdlog::info("connected to tqd at {} (CURVE)", endpoint_);
          break;
        case ZMQ_EVENT_DISCONNECTED:
          // After a failed handshake too, which was logged already.
          if (std::exchange(connected_, false)) {
            spdlog::warn("lost the connection to tqd at {}; reconnecting", endpoint_);
          }
          break;
        case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
          refused_ = true;
          spdlog::error("tqd at {} refused this agent's key (is its .pub in tqd's --agent-keys?); "
                        "retrying",
                        endpoint_);
          break;
        default:
          spdlog::warn("CURVE handshake with tqd at {} failed (a wrong --server-key, or not "
                       "tqd's agent endpoint); retrying",
                       endpoint_);
          break;
      }
    }
  } catch (const zmq::error_t& e) {
    spdlog::debug("socket monitor: {}", e.what());
  }
}

void HeadLink::Close() {
  DropQueued();
  try {
    monitor_.close();
    socket_.close();
  } catch (const zmq::error_t&) {
    // Closing cannot fail on a valid socket; nothing to do if it does.
  }
}

}  // namespace tq::agent
