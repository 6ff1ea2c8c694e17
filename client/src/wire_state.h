// The protocol's TaskState and libtq's public one, which are kept apart so
// that tq/*.h never includes tq/proto/*.h. Internal to libtq.
#pragma once

#include "tq/proto/messages.h"
#include "tq/task_state.h"

namespace tq::detail {

TaskState FromWire(proto::TaskState state);
proto::TaskState ToWire(TaskState state);

}  // namespace tq::detail
