// MetricsEndpoint: connections over a ZMQ_STREAM socket.
//
// A STREAM socket delivers two-part messages, [routing id][bytes]: an
// empty second part when a peer connects, bytes as they arrive, and an
// empty one again when the peer disconnects. Sending [id][bytes] writes to
// that connection; [id][empty] closes it once what was queued before has
// gone out (tested: a 200 KB page arrives whole before the FIN).
#include "metrics_endpoint.h"

#include <algorithm>

#include "metrics_http.h"

namespace tq::daemon {
namespace {

// Messages read per OnReadable, so a flood cannot starve the loop.
constexpr int kMaxMessagesPerTurn = 256;

}  // namespace

proto::Result<MetricsEndpoint> MetricsEndpoint::Bind(zmq::context_t& context,
                                                     std::string_view address,
                                                     const base::Clock& clock,
                                                     Render render) {
  bool ipv6 = false;
  proto::Result<std::string> endpoint = MetricsBindEndpoint(address, &ipv6);
  if (!endpoint.ok()) return endpoint.status();
  try {
    zmq::socket_t s(context, zmq::socket_type::stream);
    s.set(zmq::sockopt::linger, 0);
    s.set(zmq::sockopt::ipv6, ipv6 ? 1 : 0);
    // A peer's unread bytes queue inside ZeroMQ until we read them; we read
    // every turn and keep at most kMaxRequestBytes of each peer.
    s.set(zmq::sockopt::rcvhwm, 1000);
    s.bind(*endpoint);
    std::string bound = s.get(zmq::sockopt::last_endpoint);  // tcp://HOST:PORT
    std::string url = "http://" + bound.substr(bound.find("://") + 3) + "/metrics";
    return MetricsEndpoint(std::move(s), std::move(url), clock, std::move(render));
  } catch (const zmq::error_t& e) {
    return proto::Status(proto::ErrorCode::kIo,
                         "metrics: cannot listen on " + std::string(address) + ": " + e.what());
  }
}

MetricsEndpoint::MetricsEndpoint(zmq::socket_t socket, std::string url,
                                 const base::Clock& clock, Render render)
    : socket_(std::move(socket)), url_(std::move(url)), clock_(&clock),
      render_(std::move(render)) {}

void MetricsEndpoint::OnReadable() {
  for (int i = 0; i < kMaxMessagesPerTurn; ++i) {
    zmq::message_t id, data;
    try {
      if (!socket_.recv(id, zmq::recv_flags::dontwait)) return;
      if (!id.more()) continue;  // STREAM always sends the id first
      (void)socket_.recv(data, zmq::recv_flags::dontwait);
    } catch (const zmq::error_t&) {
      return;
    }
    std::string key(static_cast<const char*>(id.data()), id.size());
    auto it = connections_.find(key);
    if (data.size() == 0) {
      if (it != connections_.end()) {  // the peer hung up
        connections_.erase(it);
      } else if (connections_.size() >= kMaxConnections) {
        SendAndClose(key, "");
      } else {
        connections_.emplace(std::move(key),
                             Connection{{}, clock_->Now() + kRequestTimeout});
      }
      continue;
    }
    if (it == connections_.end()) continue;  // after we answered: nobody listens
    Connection& c = it->second;
    const std::size_t room = kMaxRequestBytes + 1 - c.request.size();
    c.request.append(static_cast<const char*>(data.data()), std::min(data.size(), room));
    if (c.request.size() > kMaxRequestBytes) {
      SendAndClose(it->first, HttpResponse(431, "Request Header Fields Too Large",
                                           "a request to tqd's metrics is at most " +
                                               std::to_string(kMaxRequestBytes) +
                                               " bytes\n"));
      connections_.erase(it);
      continue;
    }
    const HttpRequest request = ParseHttpRequest(c.request);
    if (request.kind == HttpRequest::Kind::kIncomplete) continue;
    SendAndClose(it->first, AnswerMetricsRequest(request, render_));
    connections_.erase(it);
  }
}

void MetricsEndpoint::RunExpired() {
  const base::TimePoint now = clock_->Now();
  for (auto it = connections_.begin(); it != connections_.end();) {
    if (it->second.deadline > now) {
      ++it;
      continue;
    }
    SendAndClose(it->first, HttpResponse(408, "Request Timeout",
                                         "no complete request within " +
                                             std::to_string(kRequestTimeout.count()) + " s\n"));
    it = connections_.erase(it);
  }
}

std::optional<base::TimePoint> MetricsEndpoint::NextDeadline() const {
  std::optional<base::TimePoint> next;
  for (const auto& [id, c] : connections_) {
    if (!next || c.deadline < *next) next = c.deadline;
  }
  return next;
}

void MetricsEndpoint::SendAndClose(const std::string& id, std::string_view response) {
  // EAGAIN (the peer's queue is full: it does not read) and EHOSTUNREACH
  // (it has gone) both mean nobody will read this; never wait for them.
  const auto send = [&](std::string_view bytes) {
    return socket_.send(zmq::buffer(id.data(), id.size()),
                        zmq::send_flags::sndmore | zmq::send_flags::dontwait) &&
           socket_.send(zmq::buffer(bytes.data(), bytes.size()), zmq::send_flags::dontwait);
  };
  try {
    if (!response.empty() && !send(response)) return;
    (void)send({});  // closes the connection after the response
  } catch (const zmq::error_t&) {
  }
}

}  // namespace tq::daemon
