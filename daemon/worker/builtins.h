// The functions every tq-worker offers without plugins.
#pragma once

#include "tq/worker/task.h"

namespace tq::worker {

// echo(args...) -> [args...]    returns its argument array unchanged
// sleep(ms)     -> nil          sleeps ms milliseconds
// fail(message) -> error        throws std::runtime_error(message)
// crash()       -> (none)       aborts the worker process (for tests)
void RegisterBuiltins(Registry& registry);

}  // namespace tq::worker
