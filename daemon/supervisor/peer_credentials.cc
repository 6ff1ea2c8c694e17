// ParsePeerAddress.
#include "peer_credentials.h"

#include <charconv>
#include <limits>

namespace tq::daemon {
namespace {

// The decimal number after the last ':' of `*s`, which loses it and the
// ':'; false if there is none or it does not fit `max`.
bool TakeLastField(std::string_view* s, std::uint64_t max, std::uint64_t* out) {
  const std::size_t colon = s->rfind(':');
  if (colon == std::string_view::npos) return false;
  const std::string_view digits = s->substr(colon + 1);
  if (digits.empty()) return false;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), *out);
  if (ec != std::errc() || end != digits.data() + digits.size() || *out > max) return false;
  *s = s->substr(0, colon);
  return true;
}

}  // namespace

PeerCredentials ParsePeerAddress(std::string_view peer_address) {
  // From the right: an IPv6 address is full of ':' too, but never ends
  // in three decimal fields after a host (libzmq adds them only on ipc).
  std::uint64_t pid = 0, gid = 0, uid = 0;
  std::string_view rest = peer_address;
  if (!TakeLastField(&rest, std::numeric_limits<pid_t>::max(), &pid) ||
      !TakeLastField(&rest, std::numeric_limits<std::uint32_t>::max(), &gid) ||
      !TakeLastField(&rest, std::numeric_limits<std::uint32_t>::max(), &uid) ||
      rest.find(':') != std::string_view::npos) {
    return {};
  }
  return {.uid = static_cast<std::int64_t>(uid), .pid = static_cast<pid_t>(pid)};
}

}  // namespace tq::daemon
