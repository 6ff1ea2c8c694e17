// TaskState names, and the mapping to the protocol's enum. The names are
// the protocol's (proto/src/task_state.cc): one table for both.
#include "tq/task_state.h"

#include "wire_state.h"

namespace tq {
namespace detail {

// A switch, not a cast: should the protocol gain a state, -Wswitch fails
// the build here instead of mislabelling it.
TaskState FromWire(proto::TaskState state) {
  switch (state) {
    case proto::TaskState::kQueued: return TaskState::kQueued;
    case proto::TaskState::kRunning: return TaskState::kRunning;
    case proto::TaskState::kDone: return TaskState::kDone;
    case proto::TaskState::kFailed: return TaskState::kFailed;
    case proto::TaskState::kTimedOut: return TaskState::kTimedOut;
    case proto::TaskState::kCancelled: return TaskState::kCancelled;
    case proto::TaskState::kLost: return TaskState::kLost;
    case proto::TaskState::kBuried: return TaskState::kBuried;
  }
  return TaskState::kLost;  // unreachable: the decoder checks the range
}

proto::TaskState ToWire(TaskState state) {
  switch (state) {
    case TaskState::kQueued: return proto::TaskState::kQueued;
    case TaskState::kRunning: return proto::TaskState::kRunning;
    case TaskState::kDone: return proto::TaskState::kDone;
    case TaskState::kFailed: return proto::TaskState::kFailed;
    case TaskState::kTimedOut: return proto::TaskState::kTimedOut;
    case TaskState::kCancelled: return proto::TaskState::kCancelled;
    case TaskState::kLost: return proto::TaskState::kLost;
    case TaskState::kBuried: return proto::TaskState::kBuried;
  }
  return proto::TaskState::kLost;
}

}  // namespace detail

std::string_view TaskStateName(TaskState state) {
  return proto::TaskStateName(detail::ToWire(state));
}

std::optional<TaskState> ParseTaskState(std::string_view name) {
  const std::optional<proto::TaskState> s = proto::ParseTaskState(name);
  if (!s) return std::nullopt;
  return detail::FromWire(*s);
}

}  // namespace tq
