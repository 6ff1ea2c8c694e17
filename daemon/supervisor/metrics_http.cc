// The metrics endpoint's address, request parsing and answers.
#include "metrics_http.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>

namespace tq::daemon {
namespace {

proto::Status BadAddress(std::string_view address, std::string_view why) {
  return {proto::ErrorCode::kConfig,
          "metrics: '" + std::string(address) + "' " + std::string(why) +
              "; give HOST:PORT, e.g. 127.0.0.1:9464, [::1]:9464 or *:9464"};
}

bool IsTokenChar(char c) { return c >= 'A' && c <= 'Z'; }

}  // namespace

proto::Result<std::string> MetricsBindEndpoint(std::string_view address, bool* ipv6) {
  const std::size_t colon = address.rfind(':');
  if (colon == std::string_view::npos) return BadAddress(address, "has no port");
  std::string_view host = address.substr(0, colon);
  const std::string_view port = address.substr(colon + 1);
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value > 65535) {
    return BadAddress(address, "has no port from 0 to 65535");
  }
  *ipv6 = false;
  if (host == "*") return "tcp://*:" + std::to_string(value);
  std::string literal(host);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    literal = std::string(host.substr(1, host.size() - 2));
    in6_addr a6;
    if (::inet_pton(AF_INET6, literal.c_str(), &a6) != 1) {
      return BadAddress(address, "has no IPv6 address between its brackets");
    }
    *ipv6 = true;
    return "tcp://[" + literal + "]:" + std::to_string(value);
  }
  in_addr a4;
  if (::inet_pton(AF_INET, literal.c_str(), &a4) != 1) {
    return BadAddress(address, "has no IP address (names are not looked up)");
  }
  return "tcp://" + literal + ":" + std::to_string(value);
}

HttpRequest ParseHttpRequest(std::string_view bytes) {
  HttpRequest r;
  // Headers end at a blank line; bare LFs are accepted too (RFC 9112 §2.2).
  if (bytes.find("\r\n\r\n") == std::string_view::npos &&
      bytes.find("\n\n") == std::string_view::npos) {
    return r;
  }
  r.kind = HttpRequest::Kind::kMalformed;
  std::string_view line = bytes.substr(0, bytes.find('\n'));
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  // METHOD SP TARGET SP HTTP/1.x
  const std::size_t sp1 = line.find(' ');
  const std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
    return r;
  }
  const std::string_view method = line.substr(0, sp1);
  const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  if (method.empty() || !std::all_of(method.begin(), method.end(), IsTokenChar)) return r;
  if (target.empty() || target.front() != '/') return r;
  if (version != "HTTP/1.1" && version != "HTTP/1.0") return r;
  r.kind = HttpRequest::Kind::kComplete;
  r.method = method;
  r.path = target.substr(0, target.find('?'));
  return r;
}

bool IsMetricsPath(std::string_view path) { return path == "/metrics"; }

std::string HttpResponse(int code, std::string_view reason, std::string_view body, bool head,
                         std::string_view content_type, std::string_view extra_headers) {
  std::string out = "HTTP/1.1 " + std::to_string(code) + " " + std::string(reason) + "\r\n";
  out += "Content-Type: ";
  out += content_type;
  out += "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  out += extra_headers;
  out += "Connection: close\r\n\r\n";
  if (!head) out += body;
  return out;
}

}  // namespace tq::daemon
