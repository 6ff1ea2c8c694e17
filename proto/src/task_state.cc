// TaskState and RestartCause names as they appear on the wire and in the CLI.
#include <array>

#include "tq/proto/messages.h"

namespace tq::proto {
namespace {

constexpr std::array<std::string_view, 8> kStateNames{
    "queued", "running", "done",      "failed",
    "timed_out", "cancelled", "lost", "buried"};

constexpr std::array<std::string_view, kRestartCauses> kCauseNames{
    "exit", "signal", "oom", "protocol", "recycled", "stopped"};

}  // namespace

std::string_view TaskStateName(TaskState state) {
  return kStateNames[static_cast<std::size_t>(state)];
}

std::optional<TaskState> ParseTaskState(std::string_view name) {
  for (std::size_t i = 0; i < kStateNames.size(); ++i) {
    if (kStateNames[i] == name) return static_cast<TaskState>(i);
  }
  return std::nullopt;
}

std::string_view RestartCauseName(RestartCause cause) {
  return kCauseNames[static_cast<std::size_t>(cause)];
}

std::optional<RestartCause> ParseRestartCause(std::string_view name) {
  for (std::size_t i = 0; i < kCauseNames.size(); ++i) {
    if (kCauseNames[i] == name) return static_cast<RestartCause>(i);
  }
  return std::nullopt;
}

}  // namespace tq::proto
