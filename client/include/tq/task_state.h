// TaskState: where a task is in its life, as libtq reports it.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "tq/export.h"

namespace tq {

// queued -> running -> done | failed | timed_out | cancelled | lost | buried
// (README, "Task states and failure reasons").
enum class TaskState : std::uint8_t {
  kQueued,
  kRunning,
  kDone,
  kFailed,
  kTimedOut,
  kCancelled,
  kLost,
  kBuried,  // parked after killing its worker too often; kick() requeues it
};

// "queued", "running", "done", "failed", "timed_out", "cancelled", "lost",
// "buried": the names on the wire and in the tq CLI.
TQ_EXPORT std::string_view TaskStateName(TaskState state);
// The state of that name; nullopt for any other string.
TQ_EXPORT std::optional<TaskState> ParseTaskState(std::string_view name);

}  // namespace tq
