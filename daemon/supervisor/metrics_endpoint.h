// MetricsEndpoint: tqd's `--metrics ADDR:PORT`, an HTTP endpoint that
// answers `GET /metrics` with Prometheus' text format, served from tqd's
// one loop.
//
// Why a ZeroMQ STREAM socket and not cpp-httplib: tqd is one thread that
// owns all its state (DESIGN.md), and a scrape must read that state.
// cpp-httplib serves from threads of its own, so every figure would need
// a lock or a copy handed across, and tqd would gain threads that inherit
// its signal mask and outlive nothing cleanly. A STREAM socket is one more
// item in the zmq::poll tqd already makes: ZeroMQ accepts the TCP
// connections and hands us their bytes, and we answer when the request is
// complete. What we parse is the least of HTTP/1.1 a scraper sends (a
// request line and headers; metrics_http.h), every connection is closed
// after one answer, and everything is bounded: 8 KiB of request, 64
// connections (more are closed at once), 10 s to send a request (then 408).
// A scrape is answered within the loop turn that completes it, so it never
// waits behind the loop for longer than a turn, and never blocks it: the
// answer is queued with ZMQ_DONTWAIT (a peer too slow to take it loses it).
//
// Not thread-safe; owned by the Supervisor, polled in its loop.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <zmq.hpp>

#include "base/clock.h"
#include "tq/proto/status.h"

namespace tq::daemon {

class MetricsEndpoint {
 public:
  static constexpr std::size_t kMaxRequestBytes = 8192;
  static constexpr std::size_t kMaxConnections = 64;
  static constexpr std::chrono::seconds kRequestTimeout{10};

  // The page: called for each GET /metrics, in the loop.
  using Render = std::function<std::string()>;

  // Binds `address`, HOST:PORT (an IPv4 address, [IPv6] or * for every
  // interface; port 0 picks a free one). kConfig for an address that is
  // not one, kIo for one that cannot be bound ("Address already in use").
  // `clock` must outlive the endpoint.
  static proto::Result<MetricsEndpoint> Bind(zmq::context_t& context, std::string_view address,
                                             const base::Clock& clock, Render render);
  MetricsEndpoint(MetricsEndpoint&&) = default;
  MetricsEndpoint& operator=(MetricsEndpoint&&) = default;

  // For zmq::poll (ZMQ_POLLIN).
  void* handle() { return socket_.handle(); }
  // http://HOST:PORT/metrics, with the port bound.
  const std::string& url() const { return url_; }

  // Reads what the socket has and answers complete requests.
  void OnReadable();
  // Answers 408 to connections whose request took too long, and closes them.
  void RunExpired();
  // When the next of those is due, if a connection is open.
  std::optional<base::TimePoint> NextDeadline() const;
  std::size_t connections() const { return connections_.size(); }

 private:
  struct Connection {
    std::string request;  // bytes so far, at most kMaxRequestBytes
    base::TimePoint deadline;
  };

  MetricsEndpoint(zmq::socket_t socket, std::string url, const base::Clock& clock,
                  Render render);
  // Answers the connection's request if it is complete; true if it was.
  bool TryAnswer(const std::string& id, Connection& c);
  // Sends `response` (may be empty) to `id` and closes its connection.
  void SendAndClose(const std::string& id, std::string_view response);

  zmq::socket_t socket_;
  std::string url_;
  const base::Clock* clock_;
  Render render_;
  std::unordered_map<std::string, Connection> connections_;  // by routing id
};

}  // namespace tq::daemon
