// The exec builtin: checks the policy, parses the argument map
// (exec_request.h), starts the command through an ExecChild (a Subprocess
// in a process group of its own, registered with the SIGTERM stop
// handler), feeds its stdin and drains its stdout/stderr with poll(), and
// packs the result.
//
// Ending a command (the order matters):
//  - The main child's exit is seen with waitid(WNOWAIT), which leaves it a
//    zombie: its pid, which is also the group's id, cannot be reused while
//    we may still signal the group. Only then is it reaped (wait4, whose
//    rusage gives user_ms and sys_ms).
//  - Once the main child has exited, whatever is left of its group gets
//    SIGKILL, and output is read for at most kDrainGrace more: a background
//    grandchild holding a pipe open (`sh -c 'sleep 100 &'`) must not hang
//    the worker. A descendant that left the group (setsid) is out of reach;
//    if it keeps a pipe open, we stop reading after the grace anyway.
//  - timeout_ms: SIGTERM to the group, SIGKILL to it kKillAfterTerm later
//    if the main child still runs (when it exits first, the rule above
//    kills the rest at once).
//
// The worker is not a child subreaper (PR_SET_CHILD_SUBREAPER): kill(-pgid)
// reaches every group member whoever its parent is, and orphans are reaped
// by init. As a subreaper the worker would have to reap them itself, and a
// waitpid(-1) for that would steal the exit statuses of children a plugin
// task started; it would not catch processes that left the group either.
#include "exec_task.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <optional>
#include <utility>

#include "base/fd.h"
#include "base/subprocess.h"
#include "exec_child.h"
#include "exec_request.h"

namespace tq::worker {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
namespace fs = std::filesystem;

constexpr milliseconds kKillAfterTerm{1000};
constexpr milliseconds kDrainGrace{100};
// Without a pidfd, how often to look for the child's exit.
constexpr milliseconds kExitPollTick{10};
constexpr std::size_t kChunk = 64 * 1024;
constexpr const char* kShell = "/bin/sh";

ExecPolicy& Policy() {
  static ExecPolicy policy;
  return policy;
}

void OnStopSignal(int sig) {
  KillRunningCommand();
  // SA_RESETHAND made the disposition SIG_DFL: the raised signal is
  // delivered when the handler returns, so the worker still dies "killed by
  // signal 15" as tqd expects, rather than exiting with 143.
  ::raise(sig);
}

struct Outcome {
  std::optional<int> exit_code;  // set iff the child exited
  std::optional<int> signal;     // set iff a signal killed it
  bool timed_out = false;
  std::string out, err;
  bool out_truncated = false, err_truncated = false;
  double wall_ms = 0, user_ms = 0, sys_ms = 0;
};

[[noreturn]] void Failed(const std::string& what, int error) {
  throw TaskError("tq.ExecFailed", what + ": " + std::strerror(error));
}

// The directory relative paths are resolved against: the child's cwd.
fs::path BaseDir(const ExecRequest& r) {
  std::error_code ec;
  fs::path here = fs::current_path(ec);
  if (ec) here = "/";
  return r.cwd ? here / *r.cwd : here;  // an absolute cwd replaces `here`
}

// The absolute path execve will run for `name`, searched on the child's
// PATH when it has no slash (as execvp does, but with the child's PATH and
// cwd). Returns the path, or an errno when nothing on PATH is executable.
std::pair<std::string, int> Resolve(const std::string& name,
                                    const ExecRequest& r,
                                    const fs::path& base) {
  if (name.find('/') != std::string::npos) {
    return {(base / name).lexically_normal().string(), 0};
  }
  const char* path = std::getenv("PATH");
  std::string search = path != nullptr ? path : "/bin:/usr/bin";
  for (const auto& [k, v] : r.env) {
    if (k == "PATH") search = v;
  }
  int error = ENOENT;
  std::size_t start = 0;
  for (;;) {
    const std::size_t end = std::min(search.find(':', start), search.size());
    const std::string dir = end > start ? search.substr(start, end - start) : ".";
    const std::string candidate =
        (base / dir / name).lexically_normal().string();
    struct stat st {};
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
      if (::faccessat(AT_FDCWD, candidate.c_str(), X_OK, AT_EACCESS) == 0) {
        return {candidate, 0};
      }
      error = EACCES;  // as execvp: a match we may not run beats none
    }
    if (end >= search.size()) break;
    start = end + 1;
  }
  return {std::string(), error};
}

base::Pipe MakePipe() {
  auto p = base::Pipe::Create();
  if (!p.ok()) {
    throw TaskError("tq.ExecFailed", "cannot create a pipe for the command: " +
                                         p.status().message());
  }
  return std::move(*p);
}

// One of the child's output pipes, read into a capped buffer.
struct Stream {
  base::Fd fd;
  std::string data;
  bool truncated = false;

  // Reads what the pipe holds (a bounded amount, so the other pipe gets its
  // turn); closes it at EOF. Bytes beyond `cap` are read and dropped, so the
  // child never blocks on a full pipe.
  void Drain(std::size_t cap) {
    char buf[kChunk];
    for (int i = 0; i < 16 && fd; ++i) {
      const ssize_t n = ::read(fd.get(), buf, sizeof buf);
      if (n > 0) {
        const std::size_t room = cap - std::min(cap, data.size());
        const std::size_t keep = std::min(room, static_cast<std::size_t>(n));
        data.append(buf, keep);
        if (keep < static_cast<std::size_t>(n)) truncated = true;
      } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        fd.Close();
      } else if (errno == EAGAIN) {
        return;
      }
    }
  }
};

double Ms(std::chrono::microseconds t) { return t.count() / 1000.0; }

int PollTimeout(Clock::time_point now, std::optional<Clock::time_point> next) {
  if (!next) return -1;
  if (*next <= now) return 0;
  // Rounded up: waking a little early would only spin.
  return static_cast<int>(std::chrono::ceil<milliseconds>(*next - now).count());
}

// Starts the command: stdout and stderr on pipes, stdin on a pipe or
// /dev/null, nothing else of ours open, the request's cwd and environment.
ExecChild Start(const ExecRequest& r, const std::string& program,
                base::Pipe& out, base::Pipe& err, base::Pipe* in) {
  base::SpawnOptions o;
  o.argv = r.shell ? std::vector<std::string>{kShell, "-c", r.argv[0]} : r.argv;
  o.program = program;
  o.env = ChildEnvironment(environ, r);
  o.cwd = r.cwd;
  o.child_stdin = in ? base::Stdio::From(in->read.get()) : base::Stdio::Null();
  o.child_stdout = base::Stdio::From(out.write.get());
  o.child_stderr = base::Stdio::From(err.write.get());
  // The worker's protocol pipes (3, 4) are not O_CLOEXEC, nor need a
  // plugin's descriptors be: the command gets none of them.
  o.close_other_fds = true;
  // Appended piecewise: g++ 12 warns (-Wrestrict, falsely) on "a" + s + "b".
  o.error_prefix = "cannot run '";
  o.error_prefix += r.shell ? program : r.argv[0];
  o.error_prefix += '\'';
  base::Result<ExecChild> child = ExecChild::Start(std::move(o));
  if (!child.ok()) throw TaskError("tq.ExecFailed", child.status().message());
  return std::move(*child);
}

Outcome Run(const ExecRequest& r, const std::string& program) {
  base::Pipe out = MakePipe(), err = MakePipe();
  std::optional<base::Pipe> in;
  if (r.stdin_data) in = MakePipe();
  const Clock::time_point start = Clock::now();
  // Should anything below throw, its destructor kills the group and reaps.
  ExecChild child = Start(r, program, out, err, in ? &*in : nullptr);

  // Our copies of the child's ends would keep the pipes open forever.
  out.write.Close();
  err.write.Close();
  Stream streams[2] = {{std::move(out.read)}, {std::move(err.read)}};
  base::Fd to_child;
  std::string_view pending;
  if (in) {
    in->read.Close();
    to_child = std::move(in->write);
    pending = *r.stdin_data;
    if (pending.empty()) to_child.Close();
  }
  // Fresh pipe ends have no other status flag to keep: one F_SETFL each.
  for (const base::Fd* fd : {&streams[0].fd, &streams[1].fd, &to_child}) {
    if (*fd) (void)::fcntl(fd->get(), F_SETFL, O_NONBLOCK);
  }
  // Readable once the child exits; -1 before Linux 5.3, where we tick
  // instead. (glibc 2.36's <sys/pidfd.h> lacks extern "C": call it raw.)
  base::Fd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, child.pid(), 0)));
  // Whether to ask waitid: with a pidfd only once it says so, rather than
  // at every wake-up for output.
  bool may_have_exited = !pidfd;

  Outcome o;
  std::optional<Clock::time_point> deadline;  // exec's own timeout
  if (r.timeout.count() > 0) deadline = start + r.timeout;
  std::optional<Clock::time_point> kill_at;      // SIGKILL if still running
  std::optional<Clock::time_point> drain_until;  // set once the child exited
  for (;;) {
    const Clock::time_point now = Clock::now();
    if (!drain_until && may_have_exited && child.HasExited()) {
      child.KillGroup(SIGKILL);  // what is left of the group
      drain_until = now + kDrainGrace;
      to_child.Close();
    }
    if (drain_until &&
        ((!streams[0].fd && !streams[1].fd) || now >= *drain_until)) {
      break;
    }
    if (!drain_until && deadline && now >= *deadline) {
      o.timed_out = true;
      child.KillGroup(SIGTERM);
      deadline.reset();
      kill_at = now + kKillAfterTerm;
    }
    if (!drain_until && kill_at && now >= *kill_at) {
      child.KillGroup(SIGKILL);
      kill_at.reset();
    }

    pollfd fds[4];
    nfds_t n = 0;
    int index[2] = {-1, -1};
    for (int i = 0; i < 2; ++i) {
      if (streams[i].fd) {
        index[i] = static_cast<int>(n);
        fds[n++] = {streams[i].fd.get(), POLLIN, 0};
      }
    }
    int stdin_index = -1;
    int pidfd_index = -1;
    if (to_child) {
      stdin_index = static_cast<int>(n);
      fds[n++] = {to_child.get(), POLLOUT, 0};
    }
    std::optional<Clock::time_point> wake = drain_until;
    if (!drain_until) {
      for (const auto& t : {deadline, kill_at}) {
        if (t && (!wake || *t < *wake)) wake = t;
      }
      if (pidfd) {
        pidfd_index = static_cast<int>(n);
        fds[n++] = {pidfd.get(), POLLIN, 0};
      } else if (!wake || now + kExitPollTick < *wake) {
        wake = now + kExitPollTick;
      }
    }
    if (::poll(fds, n, PollTimeout(now, wake)) < 0 && errno != EINTR) {
      Failed("poll", errno);  // EINVAL/ENOMEM: not expected
    }
    if (pidfd_index >= 0 && fds[pidfd_index].revents != 0) {
      may_have_exited = true;
    }
    for (int i = 0; i < 2; ++i) {
      if (index[i] >= 0 && fds[index[i]].revents != 0) {
        streams[i].Drain(r.max_output);
      }
    }
    if (stdin_index >= 0 && fds[stdin_index].revents != 0) {
      // SIGPIPE is ignored in the worker (runtime.cc): a child that stops
      // reading gives EPIPE, and the rest of its input is dropped.
      bool broken = false;
      while (!pending.empty() && !broken) {
        const ssize_t w = ::write(to_child.get(), pending.data(),
                                  std::min(pending.size(), kChunk));
        if (w > 0) {
          pending.remove_prefix(static_cast<std::size_t>(w));
        } else if (errno == EAGAIN) {
          break;
        } else if (errno != EINTR) {
          broken = true;
        }
      }
      if (pending.empty() || broken) to_child.Close();  // EOF for the child
    }
  }

  const base::Subprocess& ended = child.Reap();
  o.wall_ms =
      std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  if (ended.cpu_time()) {  // else someone else reaped it: nothing is known
    const base::ExitStatus& s = *ended.exit_status();
    if (s.signaled) {
      o.signal = s.signal;
    } else {
      o.exit_code = s.code;
    }
    o.user_ms = Ms(ended.cpu_time()->user);
    o.sys_ms = Ms(ended.cpu_time()->system);
  }
  o.out = std::move(streams[0].data);
  o.out_truncated = streams[0].truncated;
  o.err = std::move(streams[1].data);
  o.err_truncated = streams[1].truncated;
  return o;
}

void PackResult(const Outcome& o, Output& out) {
  msgpack::packer<Output> pk(out);
  auto optional_int = [&](const char* key, const std::optional<int>& v) {
    pk.pack(key);
    if (v) {
      pk.pack(*v);
    } else {
      pk.pack_nil();
    }
  };
  auto bin = [&](const char* key, const std::string& bytes) {
    pk.pack(key);
    pk.pack_bin(static_cast<std::uint32_t>(bytes.size()));
    pk.pack_bin_body(bytes.data(), static_cast<std::uint32_t>(bytes.size()));
  };
  pk.pack_map(10);
  optional_int("exit_code", o.exit_code);
  optional_int("signal", o.signal);
  pk.pack("timed_out");
  pk.pack(o.timed_out);
  bin("stdout", o.out);
  bin("stderr", o.err);
  pk.pack("stdout_truncated");
  pk.pack(o.out_truncated);
  pk.pack("stderr_truncated");
  pk.pack(o.err_truncated);
  pk.pack("wall_ms");
  pk.pack_double(o.wall_ms);
  pk.pack("user_ms");
  pk.pack_double(o.user_ms);
  pk.pack("sys_ms");
  pk.pack_double(o.sys_ms);
}

void Exec(std::string_view args, Output& out) {
  const ExecPolicy& policy = Policy();
  if (!policy.enabled) {
    throw TaskError("tq.ExecRefused",
                    "exec is disabled on this tqd (tqd --exec off)");
  }
  const ExecRequest r = ParseExecRequest(args);
  const fs::path base = BaseDir(r);
  std::string program = kShell;
  if (!r.shell) {
    auto [path, error] = Resolve(r.argv[0], r, base);
    if (error != 0) Failed("cannot run '" + r.argv[0] + "'", error);
    program = std::move(path);
  }
  if (!policy.allow.empty() &&
      std::find(policy.allow.begin(), policy.allow.end(), program) ==
          policy.allow.end()) {
    throw TaskError("tq.ExecRefused",
                    "'" + program + "' is not in this tqd's exec allow-list");
  }
  if (r.cwd) {
    struct stat st {};
    if (::stat(base.c_str(), &st) != 0)
      Failed("cannot use cwd '" + *r.cwd + "'", errno);
    if (!S_ISDIR(st.st_mode))
      Failed("cannot use cwd '" + *r.cwd + "'", ENOTDIR);
  }
  PackResult(Run(r, program), out);
}

}  // namespace

void SetExecPolicy(ExecPolicy policy) {
  for (std::string& p : policy.allow)
    p = fs::path(p).lexically_normal().string();
  Policy() = std::move(policy);
}

void RegisterExec(Registry& registry) { registry.add_raw("exec", Exec); }

void InstallExecStopHandler() {
  struct sigaction sa {};
  sa.sa_handler = OnStopSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESETHAND;
  ::sigaction(SIGTERM, &sa, nullptr);
}

}  // namespace tq::worker
