// The child side of a spawn (spawn_child.h).
//
// Everything the child runs is a raw syscall(): glibc's wrappers for
// sigaction and sigprocmask refuse its internal signals, and a sanitizer's
// interceptors (TSan's close, execve, _exit) would update the runtime's
// state, which the child shares with us, from a process that is not ours
// to track. For the same reason the child's functions are not instrumented:
// ASan would poison redzones of frames on the borrowed stack that never
// return (the child execs), and leave them poisoned for our later frames.
#include "spawn_child.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace tq::base {
namespace {

constexpr int kSignals = 64;
constexpr std::size_t kSigsetBytes = 8;  // the kernel's sigset_t
// The child's stack, borrowed from our frame (we are suspended while it
// runs). It calls nothing but syscall(): a few hundred bytes are used.
constexpr std::size_t kChildStackBytes = 32 * 1024;

// The kernel's struct sigaction (x86-64, arm64 and the generic ABI),
// which rt_sigaction takes; glibc's has another layout.
struct KernelSigaction {
  void (*handler)(int);
  unsigned long flags;
  void (*restorer)();
  std::uint64_t mask;
};

#define TQ_CHILD_CODE __attribute__((no_sanitize("address", "thread", "undefined")))

struct ChildState {
  const SpawnPlan* plan;
  volatile int error;  // written by the child iff a step failed
};

TQ_CHILD_CODE [[noreturn]] void ChildFailed(ChildState* state) {
  state->error = errno != 0 ? errno : EINVAL;
  ::syscall(SYS_exit_group, 127);
  __builtin_unreachable();
}

TQ_CHILD_CODE bool CloseRange(unsigned first, unsigned last) {
  if (::syscall(SYS_close_range, first, last, 0) == 0) return true;
  if (errno != ENOSYS) return false;
  // Before Linux 5.9: one close per possible descriptor.
  struct rlimit limit {};
  if (::syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, nullptr, &limit) != 0) {
    return false;
  }
  for (unsigned long fd = first; fd <= last && fd < limit.rlim_cur; ++fd) {
    ::syscall(SYS_close, fd);  // EBADF for the ones not open
  }
  return true;
}

TQ_CHILD_CODE int ChildMain(void* arg) {
  auto* state = static_cast<ChildState*>(arg);
  const SpawnPlan& plan = *state->plan;
  // Every signal is blocked (we blocked them before the clone), so no
  // handler of ours can run here; reset them before anything is unblocked.
  const KernelSigaction default_action{SIG_DFL, 0, nullptr, 0};
  for (int sig = 1; sig <= kSignals; ++sig) {
    if ((plan.reset_signals >> (sig - 1) & 1) == 0) continue;
    if (::syscall(SYS_rt_sigaction, sig, &default_action, nullptr,
                  kSigsetBytes) != 0 &&
        sig != SIGKILL && sig != SIGSTOP) {
      ChildFailed(state);
    }
  }
  if (plan.new_process_group && ::syscall(SYS_setpgid, 0, 0) != 0) {
    ChildFailed(state);
  }
  for (const auto& [ours, target] : plan.dups) {
    const long r = ours == target
                       ? ::syscall(SYS_fcntl, target, F_SETFD, 0)
                       : ::syscall(SYS_dup3, ours, target, 0);
    if (r < 0) ChildFailed(state);
  }
  for (const int target : plan.nulls) {
    // The lowest free number is taken: closed first, the target usually.
    ::syscall(SYS_close, target);
    const long fd = ::syscall(SYS_openat, AT_FDCWD, "/dev/null",
                              target == 0 ? O_RDONLY : O_WRONLY, 0);
    if (fd < 0) ChildFailed(state);
    if (fd != target) {
      if (::syscall(SYS_dup3, fd, target, 0) < 0) ChildFailed(state);
      ::syscall(SYS_close, fd);
    }
  }
  for (const auto& [first, last] : plan.closes) {
    if (!CloseRange(first, last)) ChildFailed(state);
  }
  if (plan.cwd != nullptr && ::syscall(SYS_chdir, plan.cwd) != 0) {
    ChildFailed(state);
  }
  const std::uint64_t none = 0;
  if (::syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, nullptr,
                kSigsetBytes) != 0) {
    ChildFailed(state);
  }
  // A signal that arrived meanwhile is delivered here, at its default.
  ::syscall(SYS_execve, plan.program, plan.argv, plan.envp);
  ChildFailed(state);
}

// The hexadecimal mask after "\nNAME:\t" in a /proc status text; false if
// it is not there.
bool ParseMask(const char* text, const char* name, std::uint64_t* mask) {
  const char* at = std::strstr(text, name);
  if (at == nullptr) return false;
  char* end = nullptr;
  errno = 0;
  *mask = std::strtoull(at + std::strlen(name), &end, 16);
  return errno == 0 && end != at + std::strlen(name);
}

}  // namespace

SignalSet NonDefaultSignalsBySigaction() {
  SignalSet set = 0;
  for (int sig = 1; sig <= kSignals; ++sig) {
    KernelSigaction old{};
    if (::syscall(SYS_rt_sigaction, sig, nullptr, &old, kSigsetBytes) == 0 &&
        old.handler != SIG_DFL) {
      set |= SignalSet{1} << (sig - 1);
    }
  }
  return set;
}

SignalSet NonDefaultSignals() {
  // About 1.5 KB; the masks come before the longer lists at the end.
  char text[8192];
  std::size_t size = 0;
  const int fd = ::open("/proc/self/status", O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    for (;;) {
      const ssize_t n = ::read(fd, text + size, sizeof text - 1 - size);
      if (n > 0) {
        size += static_cast<std::size_t>(n);
        if (size == sizeof text - 1) break;
      } else if (n == 0 || errno != EINTR) {
        break;
      }
    }
    ::close(fd);
  }
  text[size] = '\0';
  std::uint64_t ignored = 0, caught = 0;
  if (ParseMask(text, "\nSigIgn:\t", &ignored) &&
      ParseMask(text, "\nSigCgt:\t", &caught)) {
    return ignored | caught;
  }
  return NonDefaultSignalsBySigaction();  // no /proc: ask each signal
}

pid_t StartChild(const SpawnPlan& plan, int* error) {
  ChildState state{&plan, 0};
  alignas(16) unsigned char stack[kChildStackBytes];
  // Raw, as in the child: glibc's sigprocmask would leave its internal
  // signals unblocked, and their handlers must not run in the child either.
  const std::uint64_t all = ~std::uint64_t{0};
  std::uint64_t old = 0;
  ::syscall(SYS_rt_sigprocmask, SIG_BLOCK, &all, &old, kSigsetBytes);
  const pid_t pid = ::clone(ChildMain, stack + sizeof stack,
                            CLONE_VM | CLONE_VFORK | SIGCHLD, &state);
  const int clone_error = errno;
  ::syscall(SYS_rt_sigprocmask, SIG_SETMASK, &old, nullptr, kSigsetBytes);
  if (pid < 0) {
    *error = clone_error;
    return -1;
  }
  // CLONE_VFORK: the child has exec'd or exited by now.
  if (state.error != 0) {
    *error = state.error;
    while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    return -1;
  }
  return pid;
}

}  // namespace tq::base
