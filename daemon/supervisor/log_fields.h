// LogFields: what a log line is about beside its message, so that every
// line about a task names the task, its function, its worker and who
// submitted it, and a JSON line carries them as fields (logging.h renders
// them).
//
// The fields are set for the lines logged while a ScopedLogFields lives,
// on its thread: tqd logs from its one loop thread, and the scope spans one
// log call (task_log.h). Views only: what they view must outlive the scope.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string_view>

namespace tq::daemon {

struct LogFields {
  std::uint64_t task = 0;  // 0: none
  std::string_view fn;
  pid_t pid = 0;           // its worker (the current or last one); 0: none
  // Who submitted it: the uid of the client's process (ipc:// peers), -1
  // when unknown (a tcp:// client) and left out. task_log.h fills it in
  // from the task's submitter_uid.
  std::int64_t uid = -1;
};

class ScopedLogFields {
 public:
  explicit ScopedLogFields(const LogFields& fields);
  explicit ScopedLogFields(const LogFields&& fields) = delete;  // must outlive the scope
  ~ScopedLogFields();
  ScopedLogFields(const ScopedLogFields&) = delete;
  ScopedLogFields& operator=(const ScopedLogFields&) = delete;

 private:
  const LogFields* outer_;
};

// The fields of the innermost live scope on this thread, or null.
const LogFields* CurrentLogFields();

}  // namespace tq::daemon
