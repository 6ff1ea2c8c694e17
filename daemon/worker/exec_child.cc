// ExecChild and the stop registry.
#include "exec_child.h"

#include <signal.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <utility>

namespace tq::worker {
namespace {

// The process group of the one live, unreaped ExecChild; 0 when none.
// Written only by ExecChild (Start registers, Unregister clears), read only
// by KillRunningCommand, which may run in a signal handler: hence an atomic
// that is lock-free.
std::atomic<pid_t> g_running_group{0};
static_assert(std::atomic<pid_t>::is_always_lock_free);

// Blocks SIGTERM in this thread for its lifetime.
class ScopedBlockTerm {
 public:
  ScopedBlockTerm() {
    sigset_t term;
    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &term, &old_);
  }
  ~ScopedBlockTerm() { pthread_sigmask(SIG_SETMASK, &old_, nullptr); }
  ScopedBlockTerm(const ScopedBlockTerm&) = delete;
  ScopedBlockTerm& operator=(const ScopedBlockTerm&) = delete;

 private:
  sigset_t old_;
};

}  // namespace

base::Result<ExecChild> ExecChild::Start(base::SpawnOptions options) {
  options.new_process_group = true;
  // The child starts with an empty mask whatever ours is (Subprocess).
  ScopedBlockTerm block;
  base::Result<base::Subprocess> child = base::Subprocess::Spawn(options);
  if (!child.ok()) return child.status();
  pid_t none = 0;
  if (!g_running_group.compare_exchange_strong(none, child->pid())) {
    std::fprintf(stderr, "tq-worker: bug: two exec commands at once (%d, %d)\n",
                 static_cast<int>(none), static_cast<int>(child->pid()));
    std::abort();
  }
  return ExecChild(std::move(*child));
}

ExecChild::ExecChild(ExecChild&& other) noexcept
    : child_(std::move(other.child_)),
      registered_(std::exchange(other.registered_, false)) {}

ExecChild::~ExecChild() {
  if (!registered_) return;  // moved from, or reaped
  child_.KillGroup(SIGKILL);
  Reap();
}

void ExecChild::Unregister() {
  if (std::exchange(registered_, false)) g_running_group.store(0);
}

const base::Subprocess& ExecChild::Reap() {
  Unregister();  // first: once reaped, the group's id is free for reuse
  child_.Wait();
  return child_;
}

void KillRunningCommand() {
  const pid_t group = g_running_group.load();
  if (group > 0) ::kill(-group, SIGKILL);
}

}  // namespace tq::worker
