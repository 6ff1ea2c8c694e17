// Subprocess on StartChild (spawn_child.h): a clone(CLONE_VM | CLONE_VFORK)
// child, as posix_spawn's, that makes only the system calls this spawn
// needs. Here the options become a SpawnPlan; the child carries it out.
#include "subprocess.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <set>
#include <utility>

#include "spawn_child.h"

namespace tq::base {
namespace {

// Lower than any of our descriptors is likely to be, so that a copy never
// lands on a target (the copies are O_CLOEXEC, so only targets survive).
constexpr int kFirstCopyFd = 64;

// Fills the plan's descriptor steps: every dup first, then /dev/null, then
// the closing. `copies` keeps alive the copies made of sources that are
// themselves targets: dups in order could clobber one before it is used.
Status WireDescriptors(const SpawnOptions& options, SpawnPlan* plan,
                       std::vector<Fd>* copies) {
  std::vector<std::pair<int, int>> dups = options.fd_map;
  const Stdio* streams[3] = {&options.child_stdin, &options.child_stdout,
                             &options.child_stderr};
  for (int fd = 0; fd < 3; ++fd) {
    if (streams[fd]->kind == Stdio::Kind::kFd) {
      dups.emplace_back(fd, streams[fd]->fd);
    } else if (streams[fd]->kind == Stdio::Kind::kNull) {
      plan->nulls.push_back(fd);
    }
  }
  std::set<int> targets(plan->nulls.begin(), plan->nulls.end());
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
    plan->dups.emplace_back(our_fd, child_fd);
  }
  if (!options.close_other_fds) return Status::Ok();
  // One close_range per gap between the targets, and one above the last.
  unsigned next = 3;
  for (const int target : targets) {
    const auto t = static_cast<unsigned>(target);
    if (t > next) plan->closes.emplace_back(next, t - 1);
    next = std::max(next, t + 1);
  }
  plan->closes.emplace_back(next, ~0U);
  return Status::Ok();
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
  SpawnPlan plan;
  std::vector<Fd> copies;
  TQ_RETURN_IF_ERROR(WireDescriptors(options, &plan, &copies));
  // The child starts with every signal blocked and those of ours that are
  // not at the default reset; it unblocks them all just before execve (a
  // blocked mask, like an ignored signal, would survive the exec).
  plan.reset_signals = NonDefaultSignals();
  plan.new_process_group = options.new_process_group;
  // After the descriptors: a relative cwd is ours, whatever they do.
  if (options.cwd) plan.cwd = options.cwd->c_str();
  const std::string& program =
      options.program.empty() ? options.argv[0] : options.program;
  plan.program = program.c_str();
  std::vector<char*> argv = Pointers(options.argv);
  plan.argv = argv.data();
  std::vector<char*> env;
  if (options.env) env = Pointers(*options.env);
  plan.envp = options.env ? env.data() : environ;
  int error = 0;
  const pid_t pid = StartChild(plan, &error);
  if (pid < 0) {
    return Status::FromErrno(options.error_prefix.empty()
                                 ? "spawn " + program
                                 : options.error_prefix,
                             error);
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
