// Task: what tqd keeps about one accepted task until its result is routed.
#pragma once

#include <cstdint>
#include <string>

#include "tq/proto/messages.h"

namespace tq::daemon {

struct Task {
  std::uint64_t id = 0;
  std::string client;            // ZeroMQ routing id of the submitter
  std::uint64_t request_id = 0;  // the submitter's, echoed in the result
  std::string fn;
  std::string args;              // msgpack array, as the client sent it
  proto::TaskState state = proto::TaskState::kQueued;
};

}  // namespace tq::daemon
