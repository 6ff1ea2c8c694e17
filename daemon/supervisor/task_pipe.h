// TaskPipe: tqd's side of one task's pipe (PROTOCOL.md §2, "pipe"): the
// connection that submitted the task with `pipe` holds one end, the task
// the other, and tqd routes each message through the worker's own pipes
// (no socket per task). What the client sends before the task runs waits
// here; once it runs, it goes straight to the worker's write buffer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>

namespace tq::daemon {

struct TaskPipe {
  std::string client;            // the submitter's routing id
  std::uint64_t request_id = 0;  // its submit: what tqd's pipe messages carry
  bool client_open = true;       // the client has not closed its end
  bool task_open = true;         // the task has not closed its end
  bool task_told_closed = false;  // the worker got pipe_close for the client end
  std::deque<std::string> to_task;  // sent while the task was not running
  std::size_t queued_bytes = 0;     // of to_task
};

}  // namespace tq::daemon
