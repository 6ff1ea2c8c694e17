// tq::worker::client(): a task's own client of the tqd that runs it, for
// tqd's named objects (dicts, lists, queues, locks...) and for submitting
// tasks of its own, as a Python child process uses the Manager proxies
// and queues its parent passed it.
//
//   #include <tq/worker/client.h>
//   registry.add("count", [](std::string word) {
//     return tq::worker::client().dict<std::string, long>("counts").incr(word);
//   });
//
// Made on first use (a worker whose tasks never call it opens no
// connection) and shared by every task of the worker process. Locks and
// semaphore permits it takes for a task are that task's: released when the
// task ends in any state, as when a process dies holding them.
//
// Linking: this header brings libtq in (CMake tq::client); a plugin that
// does not include it needs only the header-only task SDK (tq::task).
#pragma once

#include "tq/client.h"
#include "tq/task_client.h"
#include "tq/worker/task.h"

namespace tq::worker {

inline Client& client() {
  return ::tq::detail::TaskClient([]() -> std::uint64_t { return current_task_id(); });
}

}  // namespace tq::worker
