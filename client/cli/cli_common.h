// What the tq CLI's commands share: client options, how outcomes are told
// and turned into exit codes, how an exec task is sent and its result
// shown, and the clean-up after an interruption.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "commands.h"
#include "json_msgpack.h"
#include "tq/raw_client.h"

namespace tq::cli {

ClientOptions ClientOptionsFor(const Common& common);

// "task 12 failed: std::runtime_error: boom", "tqd refused the task: ...".
std::string Describe(const Outcome& o);

// Prints the outcome's value as JSON, or on stderr why there is none;
// returns the exit code.
int Report(const Outcome& o);

// Writes the command's stdout and stderr to ours (and a note when either
// was truncated) and returns the exit status a shell would give: its exit
// code, 128 + signal, or 124 when exec's timeout stopped it.
int ShowExecResult(const ExecResult& r);
// That exit status alone, printing nothing.
int ExecStatus(const ExecResult& r);
// Why a command failed: "exit status 3", "killed by signal 9 (KILL)",
// "timed out (its own timeout)".
std::string DescribeExecFailure(const ExecResult& r);

// The exit status for an exec task's outcome, printing as ShowExecResult.
int ReportExec(const Outcome& o);

// Options for an exec task: `timeout` becomes exec's own (which stops the
// command and keeps its output), and tqd's task timeout, 10 s later, is the
// backstop should the worker hang. *exec_timeout_ms gets exec's.
SubmitOptions ExecOptions(SubmitOptions o, std::uint64_t* exec_timeout_ms);

// The exec task's request for `argv`, run at `place`.
ExecSpec ExecFor(std::vector<std::string> argv, const ExecPlace& place,
                 std::uint64_t timeout_ms);

// Runs `body`, which returns an exit code; a tq::Error it throws is told on
// stderr and becomes the matching exit code (122 unreachable, 121 refused,
// 120 queue full, 123 anything else).
int Guarded(const std::function<int()>& body);

// Waits for the call to end; false if tq was interrupted first.
bool WaitOrInterrupt(const RawResult& call);

// After an interruption: unless `detach`, asks tqd to cancel every call
// that has not ended and waits (a few seconds at most) for each to end;
// prints "tq: interrupted: cancelled N tasks" (with `detach`: the ids that
// go on) and returns Interrupts::Status().
int CancelUncollected(const std::vector<RawResult>& calls, bool detach);

// Stderr on a terminal, unless forced either way.
bool WantProgress(int forced);  // forced: +1 --progress, -1 --no-progress, 0 auto

}  // namespace tq::cli
