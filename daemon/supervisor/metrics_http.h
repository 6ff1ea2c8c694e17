// The pure parts of tqd's metrics endpoint (metrics_endpoint.h): the
// `--metrics` address, the least of an HTTP/1.1 request that a scraper
// sends, and the answers. No I/O, so each is tested on its own.
#pragma once

#include <string>
#include <string_view>

#include "tq/proto/status.h"

namespace tq::daemon {

// `HOST:PORT` as ZeroMQ binds it: "tcp://HOST:PORT". HOST is an IPv4
// address, an IPv6 address in brackets ([::1]), or * for every interface;
// PORT is 0 (any free port) to 65535. *ipv6 tells whether the socket
// needs ZMQ_IPV6. kConfig with a sentence for anything else.
proto::Result<std::string> MetricsBindEndpoint(std::string_view address, bool* ipv6);

// What the bytes a client has sent so far amount to.
struct HttpRequest {
  enum class Kind {
    kIncomplete,  // no blank line after the headers yet
    kComplete,
    kMalformed,   // not an HTTP/1.x request line
  };
  Kind kind = Kind::kIncomplete;
  std::string_view method;  // views into the bytes given, when kComplete
  std::string_view path;    // the target without its ?query
};

// Parses the request line of `bytes` once the headers are complete. The
// headers are not interpreted: an answer never depends on them, and the
// connection is closed after it.
HttpRequest ParseHttpRequest(std::string_view bytes);

// A whole response: status line, Content-Type, Content-Length, Connection:
// close, then `body` unless `head` (a HEAD request).
std::string HttpResponse(int code, std::string_view reason, std::string_view body,
                         bool head = false,
                         std::string_view content_type = "text/plain; charset=utf-8",
                         std::string_view extra_headers = "");

// The answer to a complete or malformed request: `page` for GET or HEAD
// /metrics (Prometheus' text format), 404 for another path, 405 for another
// method, 400 if malformed. `page` is called only when it is wanted.
template <typename Page>
std::string AnswerMetricsRequest(const HttpRequest& r, Page&& page);

// ---- implementation

bool IsMetricsPath(std::string_view path);

template <typename Page>
std::string AnswerMetricsRequest(const HttpRequest& r, Page&& page) {
  if (r.kind != HttpRequest::Kind::kComplete) {
    return HttpResponse(400, "Bad Request", "not an HTTP/1.x request\n");
  }
  const bool head = r.method == "HEAD";
  if (r.method != "GET" && !head) {
    return HttpResponse(405, "Method Not Allowed", "tqd's metrics take GET\n", false,
                        "text/plain; charset=utf-8", "Allow: GET, HEAD\r\n");
  }
  if (!IsMetricsPath(r.path)) {
    return HttpResponse(404, "Not Found", "tqd serves /metrics only\n", head);
  }
  return HttpResponse(200, "OK", page(), head, "text/plain; version=0.0.4; charset=utf-8");
}

}  // namespace tq::daemon
