// Config validation.
#include "config.h"

#include <unistd.h>

#include "tq/proto/endpoint.h"

namespace tq::daemon {

using proto::ErrorCode;
using proto::Status;

Status Config::Validate() const {
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
  if (workers < 1 || workers > 1024) {
    return {ErrorCode::kConfig, "workers must be between 1 and 1024"};
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
  if (max_queued < 1) return {ErrorCode::kConfig, "max_queued must be >= 1"};
  // Only lower than the protocol's: clients and workers decode with those.
  const proto::Limits protocol;
  if (limits.max_args_bytes < 1 || limits.max_args_bytes > protocol.max_args_bytes ||
      limits.max_result_bytes < 1 ||
      limits.max_result_bytes > protocol.max_result_bytes) {
    return {ErrorCode::kConfig,
            "max_args_bytes and max_result_bytes must be between 1 and " +
                std::to_string(protocol.max_args_bytes)};
  }
  // Below this a worker cannot even load its libraries.
  constexpr std::uint64_t kMinRlimitAs = 32 * proto::kMiB;
  if (worker_rlimit_as != 0 && worker_rlimit_as < kMinRlimitAs) {
    return {ErrorCode::kConfig, "worker_rlimit_as must be 0 (none) or at least " +
                                    std::to_string(kMinRlimitAs) + " bytes"};
  }
  if (bury_after < 1) return {ErrorCode::kConfig, "bury_after must be >= 1"};
  if (retention.max_results < 1) {
    return {ErrorCode::kConfig, "max_results must be >= 1"};
  }
  for (const std::string& p : exec_allow) {
    if (p.empty() || p[0] != '/') {
      return {ErrorCode::kConfig,
              "exec_allow entry '" + p + "' must be an absolute path"};
    }
  }
  return Status::Ok();
}

}  // namespace tq::daemon
