// Subprocess on posix_spawn.
//
// glibc's posix_spawn already has vfork's speed: it starts the child with
// clone(CLONE_VM | CLONE_VFORK) on a small stack of its own, so nothing of
// ours is copied, and returns once the child has exec'd or failed.
#include "subprocess.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <set>
#include <utility>

#include "spawn_attrs.h"

namespace tq::base {
namespace {

// Lower than any of our descriptors is likely to be, so that a copy never
// lands on a target (the copies are O_CLOEXEC, so only targets survive).
constexpr int kFirstCopyFd = 64;

Status Check(int error, const char* what) {
  return error == 0 ? Status::Ok() : Status::FromErrno(what, error);
}

// The signal state of the child: nothing blocked, every disposition the
// default. glibc's child (2.36) visits every signal whatever we ask: one
// sigaction for each signal in the SETSIGDEF set, but a query and then a
// reset for each signal outside it that is not ignored. So the full set is
// the cheapest way to a clean state: 64 rt_sigaction calls, where the set
// of only the signals that are not default costs 121 (strace -f of both;
// bench/exec_syscalls counts them for tq-worker's children).
Status CleanSignals(posix_spawnattr_t* attr) {
  sigset_t none;
  sigemptyset(&none);
  sigset_t all;
  sigfillset(&all);
  TQ_RETURN_IF_ERROR(Check(posix_spawnattr_setsigmask(attr, &none),
                           "posix_spawnattr_setsigmask"));
  return Check(posix_spawnattr_setsigdefault(attr, &all),
               "posix_spawnattr_setsigdefault");
}

// Adds the file actions that wire the child's descriptors: every dup2
// first, then /dev/null, then the closing. `copies` keeps alive the copies
// made of sources that are themselves targets: dup2 in order could clobber
// one before it is used.
Status WireDescriptors(const SpawnOptions& options,
                       posix_spawn_file_actions_t* actions,
                       std::vector<Fd>* copies) {
  std::vector<std::pair<int, int>> dups = options.fd_map;
  std::vector<int> nulls;
  const Stdio* streams[3] = {&options.child_stdin, &options.child_stdout,
                             &options.child_stderr};
  for (int fd = 0; fd < 3; ++fd) {
    if (streams[fd]->kind == Stdio::Kind::kFd) {
      dups.emplace_back(fd, streams[fd]->fd);
    } else if (streams[fd]->kind == Stdio::Kind::kNull) {
      nulls.push_back(fd);
    }
  }
  std::set<int> targets(nulls.begin(), nulls.end());
  for (const auto& [child_fd, our_fd] : dups) {
    if (child_fd < 0 || !targets.insert(child_fd).second) {
      return Status(proto::ErrorCode::kConfig,
                    "spawn: child fd " + std::to_string(child_fd) +
                        " is wired twice, or is negative");
    }
  }
  for (auto& [child_fd, our_fd] : dups) {
    if (targets.count(our_fd) != 0) {
      const int copy = ::fcntl(our_fd, F_DUPFD_CLOEXEC, kFirstCopyFd);
      if (copy < 0) return Status::FromErrno("fcntl(F_DUPFD_CLOEXEC)", errno);
      copies->emplace_back(copy);
      our_fd = copy;
    }
  }
  for (const auto& [child_fd, our_fd] : dups) {
    // dup2 onto the same number clears O_CLOEXEC (glibc, Austin Group #411).
    TQ_RETURN_IF_ERROR(
        Check(posix_spawn_file_actions_adddup2(actions, our_fd, child_fd),
              "posix_spawn_file_actions_adddup2"));
  }
  for (int fd : nulls) {
    TQ_RETURN_IF_ERROR(
        Check(posix_spawn_file_actions_addopen(
                  actions, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0),
              "posix_spawn_file_actions_addopen"));
  }
  if (!options.close_other_fds) return Status::Ok();
  // Targets are small numbers: close the gaps between them one by one,
  // then everything above the last with close_range.
  const int last = std::max(2, targets.empty() ? 2 : *targets.rbegin());
  for (int fd = 3; fd < last; ++fd) {
    if (targets.count(fd) != 0) continue;
    TQ_RETURN_IF_ERROR(Check(posix_spawn_file_actions_addclose(actions, fd),
                             "posix_spawn_file_actions_addclose"));
  }
  return Check(posix_spawn_file_actions_addclosefrom_np(actions, last + 1),
               "posix_spawn_file_actions_addclosefrom_np");
}

std::vector<char*> Pointers(const std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (const std::string& s : strings)
    out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

}  // namespace

Result<Subprocess> Subprocess::Spawn(const SpawnOptions& options) {
  if (options.argv.empty()) {
    return Status(proto::ErrorCode::kConfig, "spawn: argv is empty");
  }
  SpawnAttrs a;
  TQ_RETURN_IF_ERROR(CleanSignals(&a.attr));
  short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
  if (options.new_process_group) {
    flags |= POSIX_SPAWN_SETPGROUP;
    TQ_RETURN_IF_ERROR(Check(posix_spawnattr_setpgroup(&a.attr, 0),
                             "posix_spawnattr_setpgroup"));
  }
  TQ_RETURN_IF_ERROR(Check(posix_spawnattr_setflags(&a.attr, flags),
                           "posix_spawnattr_setflags"));
  std::vector<Fd> copies;
  TQ_RETURN_IF_ERROR(WireDescriptors(options, &a.actions, &copies));
  if (options.cwd) {
    // After the descriptors: a relative cwd is ours, whatever they do.
    TQ_RETURN_IF_ERROR(Check(
        posix_spawn_file_actions_addchdir_np(&a.actions, options.cwd->c_str()),
        "posix_spawn_file_actions_addchdir_np"));
  }
  const std::string& program =
      options.program.empty() ? options.argv[0] : options.program;
  std::vector<char*> argv = Pointers(options.argv);
  std::vector<char*> env;
  if (options.env) env = Pointers(*options.env);
  pid_t pid = -1;
  const int err = posix_spawn(&pid, program.c_str(), &a.actions, &a.attr,
                              argv.data(), options.env ? env.data() : environ);
  if (err != 0) {
    return Status::FromErrno(options.error_prefix.empty()
                                 ? "posix_spawn " + program
                                 : options.error_prefix,
                             err);
  }
  return Subprocess(pid, options.new_process_group);
}

Subprocess::~Subprocess() {
  if (running()) {
    Kill(SIGKILL);
    Wait();
  }
}

Subprocess::Subprocess(Subprocess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      leads_group_(other.leads_group_),
      exit_(std::move(other.exit_)),
      cpu_(std::move(other.cpu_)) {}

Subprocess& Subprocess::operator=(Subprocess&& other) noexcept {
  if (this != &other) {
    if (running()) {
      Kill(SIGKILL);
      Wait();
    }
    pid_ = std::exchange(other.pid_, -1);
    leads_group_ = other.leads_group_;
    exit_ = std::move(other.exit_);
    cpu_ = std::move(other.cpu_);
  }
  return *this;
}

void Subprocess::Kill(int signal) {
  if (running()) ::kill(pid_, signal);
}

void Subprocess::KillGroup(int signal) {
  if (running() && leads_group_) ::kill(-pid_, signal);
}

bool Subprocess::HasExited() const {
  if (!running()) return true;
  siginfo_t info{};
  for (;;) {
    if (::waitid(P_PID, static_cast<id_t>(pid_), &info,
                 WEXITED | WNOHANG | WNOWAIT) == 0) {
      return info.si_pid == pid_;  // 0 while it runs
    }
    if (errno != EINTR) return true;  // ECHILD: nothing left to wait for
  }
}

void Subprocess::Reaped(int status, const rusage& usage) {
  exit_ = ExitStatus::FromWaitStatus(status);
  using std::chrono::microseconds;
  using std::chrono::seconds;
  auto us = [](const timeval& tv) {
    return seconds(tv.tv_sec) + microseconds(tv.tv_usec);
  };
  cpu_ = CpuTime{us(usage.ru_utime), us(usage.ru_stime)};
}

bool Subprocess::TryReap() {
  if (!running()) return exit_.has_value();
  int status = 0;
  struct rusage usage {};
  const pid_t r = ::wait4(pid_, &status, WNOHANG, &usage);
  if (r == pid_) {
    Reaped(status, usage);
    return true;
  }
  return false;
}

ExitStatus Subprocess::Wait() {
  while (running()) {
    int status = 0;
    struct rusage usage {};
    const pid_t r = ::wait4(pid_, &status, 0, &usage);
    if (r == pid_) {
      Reaped(status, usage);
    } else if (r < 0 && errno != EINTR) {
      // ECHILD: someone else reaped it; nothing more can be learnt.
      exit_ = ExitStatus{};
    }
  }
  return exit_.value_or(ExitStatus{});
}

}  // namespace tq::base
