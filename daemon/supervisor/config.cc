// Config validation: the ranges of the settings table, then what depends
// on the system or on more than one value.
#include "config.h"

#include <unistd.h>

#include "metrics_http.h"
#include "setting_values.h"
#include "settings.h"
#include "tq/proto/endpoint.h"

namespace tq::daemon {

using proto::ErrorCode;
using proto::Status;

Status Config::Validate() const {
  // Each setting's own range first, as the table states it.
  for (const Setting& s : Settings()) {
    if (Status r = CheckRange(s, s.field.get(*this)); !r.ok()) {
      return {ErrorCode::kConfig, std::string(s.name) + ": " + r.message()};
    }
  }
  if (endpoint.rfind("ipc://", 0) != 0 && endpoint.rfind("tcp://", 0) != 0) {
    return {ErrorCode::kConfig,
            "endpoint '" + endpoint + "' must start with ipc:// or tcp://"};
  }
  // sun_path holds 108 bytes including the terminating NUL.
  if (const auto path = proto::IpcPath(endpoint); path.size() >= 108) {
    return {ErrorCode::kConfig, "ipc path is " + std::to_string(path.size()) +
                                    " bytes; the system limit is 107"};
  } else if (endpoint.rfind("ipc://", 0) == 0 && path.empty()) {
    return {ErrorCode::kConfig, "endpoint 'ipc://' names no path"};
  }
  if (::access(worker_program.c_str(), X_OK) != 0) {
    return {ErrorCode::kConfig,
            "worker program '" + worker_program + "' is not executable"};
  }
  for (const std::string& p : plugins) {
    if (::access(p.c_str(), R_OK) != 0) {
      return {ErrorCode::kConfig, "plugin '" + p + "' is not readable"};
    }
  }
  for (const std::string& p : exec_allow) {
    if (p.empty() || p[0] != '/') {
      return {ErrorCode::kConfig,
              "exec_allow entry '" + p + "' must be an absolute path"};
    }
  }
  if (workers == 0 && agents.empty()) {
    return {ErrorCode::kConfig, "workers: 0 workers needs agents (--agents) to run tasks"};
  }
  if (!agents.empty()) {
    if (agents.rfind("tcp://", 0) != 0) {
      return {ErrorCode::kConfig, "agents endpoint '" + agents + "' must start with tcp://"};
    }
    if (curve_key.empty() || agent_keys.empty()) {
      return {ErrorCode::kConfig,
              "agents: CURVE is mandatory there; set curve_key (tqd's secret key "
              "file) and agent_keys (the allowed agents' public keys)"};
    }
    if (agent_deadline <= 2 * agent_beat) {
      return {ErrorCode::kConfig, "agent_deadline must be more than twice agent_beat"};
    }
  }
  if (!metrics.empty()) {
    bool ipv6 = false;
    if (auto bind = MetricsBindEndpoint(metrics, &ipv6); !bind.ok()) return bind.status();
  }
  return Status::Ok();
}

}  // namespace tq::daemon
