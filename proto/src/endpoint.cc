// Default endpoint resolution (the rule is in endpoint.h).
#include "tq/proto/endpoint.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

namespace tq::proto {
namespace {

bool Set(const char* v) { return v != nullptr && *v != '\0'; }

EndpointEnv ProcessEnv() {
  EndpointEnv env;
  env.tq_endpoint = std::getenv("TQ_ENDPOINT");
  env.xdg_runtime_dir = std::getenv("XDG_RUNTIME_DIR");
  env.root = ::geteuid() == 0;
  env.exists = [](const std::string& path) {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0;
  };
  return env;
}

}  // namespace

std::string ServerEndpoint(const EndpointEnv& env) {
  if (Set(env.tq_endpoint)) return env.tq_endpoint;
  if (Set(env.xdg_runtime_dir) && !env.root) {
    return std::string("ipc://") + env.xdg_runtime_dir + "/tq/tqd.sock";
  }
  return std::string(kSystemEndpoint);
}

std::string ClientEndpoint(const EndpointEnv& env) {
  std::string own = ServerEndpoint(env);
  if (Set(env.tq_endpoint) || own == kSystemEndpoint || !env.exists) return own;
  if (!env.exists(std::string(IpcPath(own))) &&
      env.exists(std::string(IpcPath(kSystemEndpoint)))) {
    return std::string(kSystemEndpoint);
  }
  return own;
}

std::string DefaultEndpoint() { return ServerEndpoint(ProcessEnv()); }
std::string DefaultClientEndpoint() { return ClientEndpoint(ProcessEnv()); }

std::string_view IpcPath(std::string_view endpoint) {
  constexpr std::string_view kScheme = "ipc://";
  if (endpoint.substr(0, kScheme.size()) != kScheme) return {};
  return endpoint.substr(kScheme.size());
}

}  // namespace tq::proto
