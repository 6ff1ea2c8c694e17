// Interrupts: what stops a tq command early, so that it can cancel what it
// submitted instead of leaving tasks queued that nobody will collect.
//
// SIGINT, SIGTERM, and a closed stdout (the reader of the pipe went away,
// as in `tq map ... | head`) interrupt tq. Start() must run before any
// other thread exists: it blocks the two signals (every thread inherits
// the mask, so none of libtq's or ZeroMQ's threads takes them), ignores
// SIGPIPE (a write to a closed pipe then fails instead of killing tq), and
// starts a watcher thread that reads the signals from a signalfd and, when
// stdout is a pipe or socket, notices its reader going away.
//
// Outside a Scope, an interruption ends tq at once with its exit status.
// Inside one (a command with tasks in flight), it sets Status() and calls
// the scope's wake(), on the watcher thread, and interrupts a read the
// main thread is blocked in (SIGUSR1, whose handler does nothing: the read
// fails with EINTR); the command then cleans up (CancelUncollected,
// cli_common.h) and exits with Status(). A second interruption ends tq at
// once.
#pragma once

#include <functional>

namespace tq::cli {

class Interrupts {
 public:
  static void Start();

  // 0 while nothing interrupted tq; else its exit status: 130 (SIGINT),
  // 143 (SIGTERM) or 141 (stdout closed, as a shell reports SIGPIPE).
  static int Status();
  // "interrupted" or "stdout closed", for the message.
  static const char* Reason();
  // For the main thread, when a write to stdout failed.
  static void StdoutClosed();

  class Scope {
   public:
    // wake: called once, on the watcher thread, by an interruption (may
    // be empty for a command that polls Status()).
    explicit Scope(std::function<void()> wake);
    ~Scope();
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;
  };
};

}  // namespace tq::cli
