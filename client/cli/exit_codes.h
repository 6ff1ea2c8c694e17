// The tq CLI's exit codes, one table shared by every command and by
// `tq --help`. Tool errors sit above GNU parallel's 1-101 failure counts,
// and 124/125 mean what they mean for timeout(1) and env(1).
#pragma once

#include "tq/raw_client.h"

namespace tq::cli {

inline constexpr int kOk = 0;
inline constexpr int kTaskFailed = 1;      // call: the task did not succeed
inline constexpr int kNoValue = 1;         // dict get/del, list get: no such key or index
inline constexpr int kMaxFailedCount = 101;  // map: failures, capped here
inline constexpr int kQueueFull = 120;     // tqd's queue is full: retry later
inline constexpr int kRejected = 121;      // tqd refused: unknown function, too large...
inline constexpr int kUnreachable = 122;   // no tqd at the endpoint, or it went away
inline constexpr int kProtocol = 123;      // tqd and tq disagree on the protocol
inline constexpr int kTimeout = 124;       // wait --timeout ran out; queue get got nothing
inline constexpr int kUsage = 125;         // bad flags or bad input
// Interrupted (interrupts.h): 128 + the signal, as a shell reports it.
inline constexpr int kInterrupted = 130;   // SIGINT (^C)
inline constexpr int kStdoutClosed = 141;  // as SIGPIPE: the reader went away
inline constexpr int kTerminated = 143;    // SIGTERM

inline constexpr const char* kExitCodeHelp =
    "Exit status:\n"
    "  0        success\n"
    "  1        call, submit --wait, wait: a task failed, timed out, was lost,\n"
    "           cancelled or buried; dict get, dict del: no such key\n"
    "  N        submit --wait, wait of a command: the command's own status\n"
    "           (128+N if signal N killed it; 124 if its --timeout stopped it)\n"
    "  1-101    map: number of failed items (101: more than 100)\n"
    "  120      tqd's queue is full, or a queue put --timeout found it full;\n"
    "           retry later\n"
    "  121      tqd refused the request (unknown function, too large, shutting\n"
    "           down, no such task id, kick of a task that is not buried; a\n"
    "           limit on objects: OBJECT_FULL, a list index out of range...)\n"
    "  122      cannot reach tqd, or the connection was lost\n"
    "  123      protocol error between tq and tqd\n"
    "  124      wait --timeout expired (the tasks go on); queue get --timeout:\n"
    "           nothing came\n"
    "  125      usage error or invalid input\n"
    "  130, 143 interrupted by SIGINT (^C) or SIGTERM: call, submit --wait and\n"
    "           map cancel the tasks they did not collect (unless --detach)\n"
    "  141      stdout was closed (tq map ... | head): the same clean-up\n";

// The exit code for an outcome that is not ok().
int ExitCodeFor(const Outcome& outcome);

}  // namespace tq::cli
