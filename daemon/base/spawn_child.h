// SpawnPlan and StartChild: the child side of Subprocess::Spawn, done by
// hand rather than by posix_spawn so that the child makes only the system
// calls it needs (issue 16, "a leaner exec path").
//
// glibc 2.36's posix_spawn child visits every one of the 64 signals with
// rt_sigaction whatever it is asked (a query or a reset each), and each of
// its file actions checks its descriptor against RLIMIT_NOFILE with a
// prlimit64 call in the parent. Here the parent reads which signals are not
// at their default disposition (three system calls, /proc/self/status), and
// the child resets just those, applies the plan's descriptors with dup2 and
// one close_range per gap, and execs. Like posix_spawn, the child is
// started with clone(CLONE_VM | CLONE_VFORK): it shares our memory and we
// are suspended until it has exec'd or failed, so nothing is copied.
//
// Sharing our memory is why the child runs only system-call wrappers and
// reads only the plan, which the parent built and does not touch until
// StartChild returns; and why every signal is blocked around the clone: a
// handler of ours must never run in the child. It may only be unblocked
// once the child has reset every handler to the default, just before
// execve. Not thread-safe per plan; distinct plans may start at once.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace tq::base {

// Bit (n - 1) set for signal n, 1..64.
using SignalSet = std::uint64_t;

// The signals whose disposition is not SIG_DFL right now (ignored or
// handled), glibc's internal ones (32, 33) included: from /proc/self/status
// (SigIgn, SigCgt), or, where /proc cannot be read, by asking rt_sigaction
// about each signal. Dispositions are shared by all our threads; one that
// another thread changes while this runs may be missed, as in posix_spawn.
SignalSet NonDefaultSignals();
// The same set, always by asking rt_sigaction about each of the 64.
SignalSet NonDefaultSignalsBySigaction();

// Everything the child does, in this order, prepared by the parent. The
// pointers must stay valid until StartChild returns.
struct SpawnPlan {
  SignalSet reset_signals = 0;  // each set to SIG_DFL
  bool new_process_group = false;
  // {our fd, child fd}. Onto the same number, the child's copy loses
  // O_CLOEXEC (as posix_spawn's dup2 action does). No source may be an
  // earlier pair's target.
  std::vector<std::pair<int, int>> dups;
  std::vector<int> nulls;  // /dev/null onto 0 (read) or 1, 2 (write)
  // Inclusive ranges of descriptors to close.
  std::vector<std::pair<unsigned, unsigned>> closes;
  const char* cwd = nullptr;  // chdir there unless null
  const char* program = nullptr;
  char* const* argv = nullptr;  // null-terminated
  char* const* envp = nullptr;  // null-terminated
};

// Starts the child of `plan`; returns its pid once it has exec'd, or -1
// with *error set to the errno of the step that failed (clone's, or the
// child's: the failed child has then been reaped here).
pid_t StartChild(const SpawnPlan& plan, int* error);

}  // namespace tq::base
