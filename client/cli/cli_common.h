// What the tq CLI's commands share: client options, how outcomes are told
// and turned into exit codes, and how an exec task's result is shown.
#pragma once

#include <functional>
#include <string>

#include "commands.h"
#include "json_msgpack.h"
#include "tq/raw_client.h"

namespace tq::cli {

ClientOptions ClientOptionsFor(const Common& common);

// "task 12 failed: std::runtime_error: boom", "tqd refused the task: ...".
std::string Describe(const Outcome& o);

// Writes the command's stdout and stderr to ours (and a note when either
// was truncated) and returns the exit status a shell would give: its exit
// code, 128 + signal, or 124 when exec's timeout stopped it.
int ShowExecResult(const ExecResult& r);

// The exit status for an exec task's outcome, printing as ShowExecResult.
int ReportExec(const Outcome& o);

// Options for an exec task: `timeout` becomes exec's own (which stops the
// command and keeps its output), and tqd's task timeout, 10 s later, is the
// backstop should the worker hang. *exec_timeout_ms gets exec's.
SubmitOptions ExecOptions(SubmitOptions o, std::uint64_t* exec_timeout_ms);

// Runs `body`, which returns an exit code; a tq::Error it throws is told on
// stderr and becomes the matching exit code (122 unreachable, 121 refused,
// 120 queue full, 123 anything else).
int Guarded(const std::function<int()>& body);

// Stderr on a terminal, unless forced either way.
bool WantProgress(int forced);  // forced: +1 --progress, -1 --no-progress, 0 auto

}  // namespace tq::cli
