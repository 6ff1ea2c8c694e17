// TakeEnv: reads an environment variable and removes it, for what systemd
// hands tqd alone (NOTIFY_SOCKET, WATCHDOG_*, LISTEN_*): what tqd's workers
// and their exec tasks inherit must not carry it. Call it before any
// thread starts: setenv/unsetenv are not thread-safe.
#pragma once

#include <cstdlib>
#include <string>

namespace tq::daemon {

// The variable's value ("" if it was unset); afterwards it is unset.
inline std::string TakeEnv(const char* name) {
  const char* value = std::getenv(name);
  std::string taken = value != nullptr ? value : "";
  ::unsetenv(name);
  return taken;
}

}  // namespace tq::daemon
