// RouterSocket.
#include "router_socket.h"

#include <sys/stat.h>

#include <algorithm>

#include "base/fd.h"

namespace tq::daemon {

using proto::ErrorCode;
using proto::Status;

namespace {

// Sets the process umask for its lifetime. bind() creates an ipc:// file
// 0777 & ~umask; the umask is the process's, but nothing else creates files
// meanwhile: ZeroMQ binds ipc:// on the calling thread, tqd's only one.
class UmaskScope {
 public:
  explicit UmaskScope(mode_t mask) : saved_(::umask(mask)) {}
  ~UmaskScope() { ::umask(saved_); }
  UmaskScope(const UmaskScope&) = delete;
  UmaskScope& operator=(const UmaskScope&) = delete;

 private:
  mode_t saved_;
};

}  // namespace

proto::Result<RouterSocket> RouterSocket::Bind(zmq::context_t& context,
                                               const std::string& endpoint,
                                               const RouterOptions& options) {
  const bool activated = options.use_fd >= 0;
  base::Fd owned_fd(options.use_fd);
  try {
    zmq::socket_t s(context, zmq::socket_type::router);
    s.set(zmq::sockopt::router_mandatory, 1);
    s.set(zmq::sockopt::sndhwm, options.high_water_mark);
    s.set(zmq::sockopt::rcvhwm, options.high_water_mark);
    s.set(zmq::sockopt::linger, 0);
    if (options.heartbeat_interval.count() > 0) {
      s.set(zmq::sockopt::heartbeat_ivl, static_cast<int>(options.heartbeat_interval.count()));
      s.set(zmq::sockopt::heartbeat_timeout,
            static_cast<int>(options.heartbeat_timeout.count()));
      // Sent in deciseconds; ZeroMQ caps it at 6553.5 s.
      s.set(zmq::sockopt::heartbeat_ttl, static_cast<int>(std::min<std::int64_t>(
                                              options.heartbeat_timeout.count(), 6553500)));
    }
    if (!options.curve_secret_z85.empty()) {
      s.set(zmq::sockopt::curve_server, 1);
      s.set(zmq::sockopt::curve_secretkey, options.curve_secret_z85);
      s.set(zmq::sockopt::zap_domain, options.zap_domain);
      // Reconnects of a client with a fixed routing id (an agent's session)
      // take over its identity from the dead connection.
      s.set(zmq::sockopt::router_handover, 1);
    }
    if (options.max_message_bytes > 0) {
      s.set(zmq::sockopt::maxmsgsize,
            static_cast<int64_t>(options.max_message_bytes));
    }
    if (activated) {
      // ZeroMQ closes it with the socket from here on.
      s.set(zmq::sockopt::use_fd, owned_fd.Release());
      s.bind(endpoint);
    } else {
      const UmaskScope only_owner_and_group(0117);
      s.bind(endpoint);
    }
    return RouterSocket(std::move(s));
  } catch (const zmq::error_t& e) {
    return Status(ErrorCode::kIo, (activated ? "serve the socket passed for " : "bind ") +
                                      endpoint + ": " + e.what());
  }
}

bool RouterSocket::Receive(Incoming* in) {
  try {
    if (!socket_.recv(in->identity, zmq::recv_flags::dontwait)) return false;
    in->batch.clear();
    in->peer = {};
    if (!in->identity.more()) {
      // ROUTER always prefixes the identity; a lone frame cannot happen.
      in->payload.rebuild(0);
      return true;
    }
    (void)socket_.recv(in->payload, zmq::recv_flags::none);
    // The C call: cppzmq's gets() throws when the property is absent.
    const char* peer = zmq_msg_gets(in->payload.handle(), "Peer-Address");
    if (peer != nullptr) in->peer = ParsePeerAddress(peer);
    // ZeroMQ delivers a message whole: its other frames are here already.
    bool more = in->payload.more();
    while (more) {
      zmq::message_t& part = in->batch.emplace_back();
      (void)socket_.recv(part, zmq::recv_flags::none);
      more = part.more();
    }
    return true;
  } catch (const zmq::error_t&) {
    return false;
  }
}

RouterSocket::SendResult RouterSocket::Send(std::string_view identity,
                                            std::string_view payload) {
  try {
    // With ROUTER_MANDATORY the identity frame fails as a whole when the
    // peer is gone or full; once it is accepted, the payload frame is too.
    auto sent = socket_.send(zmq::buffer(identity.data(), identity.size()),
                             zmq::send_flags::sndmore | zmq::send_flags::dontwait);
    if (!sent) return SendResult::kWouldBlock;
    (void)socket_.send(zmq::buffer(payload.data(), payload.size()),
                       zmq::send_flags::dontwait);
    return SendResult::kSent;
  } catch (const zmq::error_t& e) {
    if (e.num() == EHOSTUNREACH) return SendResult::kUnreachable;
    if (e.num() == EAGAIN) return SendResult::kWouldBlock;
    return SendResult::kUnreachable;
  }
}

RouterSocket::SendResult RouterSocket::SendBatch(std::string_view identity,
                                                 const ReplyBatch& batch, std::size_t first,
                                                 std::size_t count) {
  if (count == 1) return Send(identity, batch.at(first));
  try {
    // As in Send: once the identity frame is taken, so is the whole
    // message (the high-water mark counts messages, not frames).
    auto sent = socket_.send(zmq::buffer(identity.data(), identity.size()),
                             zmq::send_flags::sndmore | zmq::send_flags::dontwait);
    if (!sent) return SendResult::kWouldBlock;
    for (std::size_t i = first; i < first + count; ++i) {
      const std::string_view frame = batch.at(i);
      (void)socket_.send(zmq::buffer(frame.data(), frame.size()),
                         i + 1 < first + count ? zmq::send_flags::sndmore | zmq::send_flags::dontwait
                                               : zmq::send_flags::dontwait);
    }
    return SendResult::kSent;
  } catch (const zmq::error_t& e) {
    if (e.num() == EAGAIN) return SendResult::kWouldBlock;
    return SendResult::kUnreachable;
  }
}

std::string RouterSocket::LastEndpoint() {
  try {
    return socket_.get(zmq::sockopt::last_endpoint);
  } catch (const zmq::error_t&) {
    return {};
  }
}

void RouterSocket::SetLinger(int linger_ms) {
  try {
    socket_.set(zmq::sockopt::linger, linger_ms);
  } catch (const zmq::error_t&) {
  }
}

}  // namespace tq::daemon
