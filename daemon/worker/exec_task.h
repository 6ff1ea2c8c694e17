// The builtin `exec` task: runs one command and collects its result.
//
// One argument, a msgpack map (README.md, "The exec task"): argv, shell,
// cwd, env, stdin, timeout_ms, max_output. The result is a map: exit_code
// or signal, timed_out, stdout/stderr (bin, each capped at max_output with
// a *_truncated flag), wall_ms, user_ms, sys_ms. A command that exits
// non-zero is still a successful task.
//
// The child runs in its own process group. Whatever ends the command ends
// the whole group, grandchildren included: exec's own timeout (SIGTERM,
// then SIGKILL after 1 s), the main child's exit (SIGKILL to what is left),
// and the worker being told to stop (SIGTERM from tqd on a task timeout or
// cancel: see InstallExecStopHandler).
//
// Runs on the worker's task thread, one command at a time; the policy is
// set once at start-up, before any task runs.
#pragma once

#include <string>
#include <vector>

#include "tq/worker/task.h"

namespace tq::worker {

// Which commands exec may run; tqd passes it to every worker as
// `--exec off` and `--exec-allow PATH`.
struct ExecPolicy {
  bool enabled = true;
  // Absolute paths. Empty: any program. Otherwise the resolved absolute path
  // of argv[0] (after the PATH search; /bin/sh with shell=true) must be one
  // of them, compared lexically: symlinks are not followed, so allowing a
  // multi-call binary's name does not allow its other names.
  std::vector<std::string> allow;
};

// Sets the policy exec obeys in this process (default: enabled, no list).
void SetExecPolicy(ExecPolicy policy);

// Registers `exec`. Failures: tq.ExecRefused (the policy), tq.BadArguments
// (a sentence naming the key), tq.ExecFailed (the program or cwd cannot be
// used: "cannot run 'foo': No such file or directory").
void RegisterExec(Registry& registry);

// Makes SIGTERM kill the running exec command's process group (SIGKILL)
// before the worker dies of SIGTERM as it would have without a handler.
// tqd stops a worker with SIGTERM when its task timed out or was cancelled:
// without this, the command would outlive the worker. Call once, early.
void InstallExecStopHandler();

}  // namespace tq::worker
