// LogTask: one log line about a task, carrying its id, function, worker and
// submitter (log_fields.h): "task 12 (square, worker 4121, uid 1000): timed
// out after 2.000 s" as text, {"task":12,"fn":"square","pid":4121,"uid":1000,
// ...} as JSON. For the supervisor's .cc files, which include spdlog
// already.
#pragma once

#include <spdlog/spdlog.h>

#include <utility>

#include "log_fields.h"
#include "task.h"

namespace tq::daemon {

// The fields of a task's lines. A template so that the submitter's uid is
// picked up from a task type that has one (Task grows submitter_uid with
// the per-user attribution of issue 14, -1 when unknown) and left out for
// one that does not, whichever of the two changes lands first; and the
// function and worker from Task's accessors, or from plain members.
template <typename T>
LogFields FieldsOf(const T& task) {
  LogFields fields{.task = task.id};
  if constexpr (requires { task.extras(); }) {
    fields.fn = task.fn();
    fields.pid = task.extras().worker_pid;
  } else {
    fields.fn = task.fn;
    fields.pid = task.worker_pid;
  }
  if constexpr (requires { task.submitter_uid; }) {
    fields.uid = static_cast<std::int64_t>(task.submitter_uid);
  }
  return fields;
}

template <typename... Args>
void LogTask(spdlog::level::level_enum level, const Task& task,
             fmt::format_string<Args...> format, Args&&... args) {
  if (!spdlog::should_log(level)) return;  // no fields to gather for nothing
  const LogFields fields = FieldsOf(task);
  const ScopedLogFields scope(fields);
  spdlog::log(level, format, std::forward<Args>(args)...);
}

}  // namespace tq::daemon
