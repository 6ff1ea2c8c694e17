// The functions every tq-worker offers without plugins.
#pragma once

#include "tq/worker/task.h"

namespace tq::worker {

// echo(args...) -> [args...]    returns its argument array unchanged
// sleep(ms)     -> nil          sleeps ms milliseconds
// fail(message) -> error        throws std::runtime_error(message)
// crash()       -> (none)       aborts the worker process (for tests)
// exec({argv, ...}) -> {exit_code, signal, stdout, ...}  runs a command
//                                (exec_task.h)
void RegisterBuiltins(Registry& registry);

}  // namespace tq::worker
