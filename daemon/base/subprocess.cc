// Subprocess on posix_spawn.
#include "subprocess.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <cerrno>
#include <utility>

#include "spawn_attrs.h"

namespace tq::base {

Result<Subprocess> Subprocess::Spawn(const SpawnOptions& options) {
  if (options.argv.empty()) {
    return Status(proto::ErrorCode::kConfig, "spawn: argv is empty");
  }
  SpawnAttrs a;
  sigset_t empty;
  sigemptyset(&empty);
  sigset_t all;
  sigfillset(&all);
  short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
  posix_spawnattr_setsigmask(&a.attr, &empty);
  posix_spawnattr_setsigdefault(&a.attr, &all);
  if (options.new_process_group) {
    flags |= POSIX_SPAWN_SETPGROUP;
    posix_spawnattr_setpgroup(&a.attr, 0);
  }
  posix_spawnattr_setflags(&a.attr, flags);
  // Map from high-numbered copies: a source fd may itself be the target of
  // an earlier mapping (ours can be 3 or 4), and dup2 onto the same number
  // would keep O_CLOEXEC. The copies are O_CLOEXEC, so only targets survive.
  std::vector<Fd> sources;
  for (const auto& [child_fd, our_fd] : options.fd_map) {
    const int copy = ::fcntl(our_fd, F_DUPFD_CLOEXEC, 64);
    if (copy < 0) return Status::FromErrno("fcntl(F_DUPFD_CLOEXEC)", errno);
    sources.emplace_back(copy);
    posix_spawn_file_actions_adddup2(&a.actions, copy, child_fd);
  }
  std::vector<char*> argv;
  argv.reserve(options.argv.size() + 1);
  for (const std::string& arg : options.argv) {
    argv.push_back(const_cast<char*>(arg.c_str()));
  }
  argv.push_back(nullptr);
  pid_t pid = -1;
  const int err = posix_spawn(&pid, argv[0], &a.actions, &a.attr, argv.data(),
                              environ);
  if (err != 0) return Status::FromErrno("posix_spawn " + options.argv[0], err);
  return Subprocess(pid);
}

Subprocess::~Subprocess() {
  if (running()) {
    Kill(SIGKILL);
    Wait();
  }
}

Subprocess::Subprocess(Subprocess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)), exit_(std::move(other.exit_)) {}

Subprocess& Subprocess::operator=(Subprocess&& other) noexcept {
  if (this != &other) {
    if (running()) {
      Kill(SIGKILL);
      Wait();
    }
    pid_ = std::exchange(other.pid_, -1);
    exit_ = std::move(other.exit_);
  }
  return *this;
}

void Subprocess::Kill(int signal) {
  if (running()) ::kill(pid_, signal);
}

bool Subprocess::TryReap() {
  if (!running()) return exit_.has_value();
  int status = 0;
  const pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    exit_ = ExitStatus::FromWaitStatus(status);
    return true;
  }
  return false;
}

ExitStatus Subprocess::Wait() {
  while (running()) {
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, 0);
    if (r == pid_) {
      exit_ = ExitStatus::FromWaitStatus(status);
    } else if (r < 0 && errno != EINTR) {
      // ECHILD: someone else reaped it; nothing more can be learnt.
      exit_ = ExitStatus{};
    }
  }
  return exit_.value_or(ExitStatus{});
}

}  // namespace tq::base
