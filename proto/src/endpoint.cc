// Default endpoint resolution.
#include "tq/proto/endpoint.h"

#include <cstdlib>

namespace tq::proto {

std::string DefaultEndpoint() {
  if (const char* e = std::getenv("TQ_ENDPOINT"); e != nullptr && *e != '\0') {
    return e;
  }
  if (const char* d = std::getenv("XDG_RUNTIME_DIR"); d != nullptr && *d != '\0') {
    return std::string("ipc://") + d + "/tq/tqd.sock";
  }
  return "ipc:///run/tq/tqd.sock";
}

std::string_view IpcPath(std::string_view endpoint) {
  constexpr std::string_view kScheme = "ipc://";
  if (endpoint.substr(0, kScheme.size()) != kScheme) return {};
  return endpoint.substr(kScheme.size());
}

}  // namespace tq::proto
