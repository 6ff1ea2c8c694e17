// Where tqd listens and tq connects when no --endpoint is given: one rule
// for both, in every environment.
//
//   1. $TQ_ENDPOINT, if set and non-empty;
//   2. ipc://$XDG_RUNTIME_DIR/tq/tqd.sock, if XDG_RUNTIME_DIR is set and
//      non-empty and the process is not root: a user's own tqd;
//   3. ipc:///run/tq/tqd.sock: the system's tqd (the packaged service's
//      RuntimeDirectory). Root always lands here, even from a login shell
//      whose XDG_RUNTIME_DIR is /run/user/0.
//
// tqd listens on the first that applies. A client connects to the same,
// except that when rule 2 names a socket that does not exist and the
// system socket does, it takes the system one: a user with no tqd of their
// own reaches the machine's.
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace tq::proto {

// What the rule reads, so tests can give it any environment.
struct EndpointEnv {
  const char* tq_endpoint = nullptr;      // $TQ_ENDPOINT, or null
  const char* xdg_runtime_dir = nullptr;  // $XDG_RUNTIME_DIR, or null
  bool root = false;                      // geteuid() == 0
  // Whether a socket file exists at this path (clients only).
  std::function<bool(const std::string& path)> exists;
};

// The endpoint tqd listens on by default.
std::string ServerEndpoint(const EndpointEnv& env);
// The endpoint a client connects to by default.
std::string ClientEndpoint(const EndpointEnv& env);

// The same, with this process's environment.
std::string DefaultEndpoint();        // tqd's
std::string DefaultClientEndpoint();  // libtq's and tq's

// The system tqd's endpoint (rule 3).
inline constexpr std::string_view kSystemEndpoint = "ipc:///run/tq/tqd.sock";

// The filesystem path of an ipc:// endpoint, or "" for other transports.
std::string_view IpcPath(std::string_view endpoint);

}  // namespace tq::proto
