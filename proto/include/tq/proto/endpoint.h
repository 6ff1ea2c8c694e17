// Where tqd listens and tq connects when no --endpoint is given.
#pragma once

#include <string>
#include <string_view>

namespace tq::proto {

// $TQ_ENDPOINT if set and non-empty; else ipc://$XDG_RUNTIME_DIR/tq/tqd.sock
// when XDG_RUNTIME_DIR is set; else ipc:///run/tq/tqd.sock.
std::string DefaultEndpoint();

// The filesystem path of an ipc:// endpoint, or "" for other transports.
std::string_view IpcPath(std::string_view endpoint);

}  // namespace tq::proto
