// The exec builtin: checks the policy, parses the argument map, starts the
// command with posix_spawn in a process group of its own, feeds its stdin
// and drains its stdout/stderr with poll(), and packs the result.
//
// Ending a command (the order matters):
//  - The main child's exit is seen with waitid(WNOWAIT), which leaves it a
//    zombie: its pid, which is also the group's id, cannot be reused while
//    we may still signal the group. Only then does wait4() reap it.
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
#include <spawn.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <optional>
#include <set>
#include <utility>

#include "base/spawn_attrs.h"
#include "base/fd.h"

extern char** environ;

namespace tq::worker {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
namespace fs = std::filesystem;

constexpr std::size_t kDefaultMaxOutput = 1 << 20;
// Both streams at this cap still fit in a result (proto: 48 MiB).
constexpr std::size_t kMaxOutputLimit = 16 << 20;
constexpr milliseconds kKillAfterTerm{1000};
constexpr milliseconds kDrainGrace{100};
// Without a pidfd, how often to look for the child's exit.
constexpr milliseconds kExitPollTick{10};
constexpr std::size_t kChunk = 64 * 1024;
constexpr const char* kShell = "/bin/sh";

// The running command's process group, for the SIGTERM handler; 0 when
// none. Cleared before the main child is reaped (its zombie keeps the id).
std::atomic<pid_t> g_group{0};
static_assert(std::atomic<pid_t>::is_always_lock_free);

ExecPolicy& Policy() {
  static ExecPolicy policy;
  return policy;
}

void OnStopSignal(int sig) {
  const pid_t group = g_group.load();
  if (group > 0) ::kill(-group, SIGKILL);
  // SA_RESETHAND made the disposition SIG_DFL: the raised signal is
  // delivered when the handler returns, so the worker still dies "killed by
  // signal 15" as tqd expects, rather than exiting with 143.
  ::raise(sig);
}

struct Request {
  std::vector<std::string> argv;
  bool shell = false;
  std::optional<std::string> cwd;
  std::vector<std::pair<std::string, std::string>> env;
  std::optional<std::string> stdin_data;
  milliseconds timeout{0};                     // 0: none
  std::size_t max_output = kDefaultMaxOutput;  // bytes per stream
};

struct Outcome {
  std::optional<int> exit_code;  // set iff the child exited
  std::optional<int> signal;     // set iff a signal killed it
  bool timed_out = false;
  std::string out, err;
  bool out_truncated = false, err_truncated = false;
  double wall_ms = 0, user_ms = 0, sys_ms = 0;
};

[[noreturn]] void Bad(const std::string& what) {
  throw TaskError("tq.BadArguments", "exec: " + what);
}

[[noreturn]] void Failed(const std::string& what, int error) {
  throw TaskError("tq.ExecFailed", what + ": " + std::strerror(error));
}

std::string Quoted(const std::string& key) { return "'" + key + "'"; }

std::string Text(const msgpack::object& o, const std::string& what) {
  if (o.type != msgpack::type::STR) {
    Bad(what + " must be a string, not " + detail::TypeName(o));
  }
  std::string s(o.via.str.ptr, o.via.str.size);
  if (s.find('\0') != std::string::npos) Bad(what + " must not contain NUL");
  return s;
}

std::uint64_t Unsigned(const msgpack::object& o, const std::string& key) {
  if (o.type != msgpack::type::POSITIVE_INTEGER) {
    Bad(Quoted(key) + " must be an unsigned integer, not " +
        detail::TypeName(o));
  }
  return o.via.u64;
}

void ParseKey(const std::string& key, const msgpack::object& v, Request* r) {
  if (key == "argv") {
    if (v.type != msgpack::type::ARRAY || v.via.array.size == 0) {
      Bad("'argv' must be a non-empty array of strings");
    }
    for (std::uint32_t i = 0; i < v.via.array.size; ++i) {
      r->argv.push_back(
          Text(v.via.array.ptr[i], "'argv' element " + std::to_string(i)));
    }
  } else if (key == "shell") {
    if (v.type != msgpack::type::BOOLEAN) {
      Bad("'shell' must be true or false, not " +
          std::string(detail::TypeName(v)));
    }
    r->shell = v.via.boolean;
  } else if (key == "cwd") {
    r->cwd = Text(v, "'cwd'");
    if (r->cwd->empty()) Bad("'cwd' must not be empty");
  } else if (key == "env") {
    if (v.type != msgpack::type::MAP) {
      Bad("'env' must be a map of strings to strings, not " +
          std::string(detail::TypeName(v)));
    }
    for (std::uint32_t i = 0; i < v.via.map.size; ++i) {
      const msgpack::object_kv& kv = v.via.map.ptr[i];
      std::string name = Text(kv.key, "an 'env' name");
      if (name.empty() || name.find('=') != std::string::npos) {
        Bad("'env' name '" + name + "' must be non-empty and without '='");
      }
      r->env.emplace_back(std::move(name),
                          Text(kv.val, "'env' value of " + name));
    }
  } else if (key == "stdin") {
    if (v.type == msgpack::type::STR) {
      r->stdin_data.emplace(v.via.str.ptr, v.via.str.size);
    } else if (v.type == msgpack::type::BIN) {
      r->stdin_data.emplace(v.via.bin.ptr, v.via.bin.size);
    } else {
      Bad("'stdin' must be str or bin, not " +
          std::string(detail::TypeName(v)));
    }
  } else if (key == "timeout_ms") {
    r->timeout = milliseconds(static_cast<milliseconds::rep>(
        std::min<std::uint64_t>(Unsigned(v, key), 1ull << 40)));
  } else if (key == "max_output") {
    const std::uint64_t n = Unsigned(v, key);
    if (n > kMaxOutputLimit) {
      Bad("'max_output' must be at most " + std::to_string(kMaxOutputLimit) +
          " bytes (16 MiB)");
    }
    r->max_output = n == 0 ? kDefaultMaxOutput : static_cast<std::size_t>(n);
  } else {
    Bad("unknown key " + Quoted(key) +
        " (expected argv, shell, cwd, env, stdin, timeout_ms, max_output)");
  }
}

Request Parse(std::string_view args) {
  if (args.empty()) Bad("takes 1 argument (a map), got 0");
  msgpack::object_handle oh;
  try {
    oh = msgpack::unpack(args.data(), args.size(), nullptr, nullptr,
                         detail::ArgsLimit(args.size()));
  } catch (const std::exception& e) {
    Bad(std::string("arguments are not valid msgpack: ") + e.what());
  }
  const msgpack::object& a = oh.get();
  if (a.type != msgpack::type::ARRAY) Bad("arguments must be an array");
  if (a.via.array.size != 1) {
    Bad("takes 1 argument (a map), got " + std::to_string(a.via.array.size));
  }
  const msgpack::object& m = a.via.array.ptr[0];
  if (m.type != msgpack::type::MAP) {
    Bad("the argument must be a map, not " + std::string(detail::TypeName(m)));
  }
  Request r;
  std::set<std::string> seen;
  for (std::uint32_t i = 0; i < m.via.map.size; ++i) {
    const msgpack::object_kv& kv = m.via.map.ptr[i];
    if (kv.key.type != msgpack::type::STR) Bad("map keys must be strings");
    const std::string key(kv.key.via.str.ptr, kv.key.via.str.size);
    if (!seen.insert(key).second) Bad("key " + Quoted(key) + " appears twice");
    // nil stands for an absent key (a typed client's empty std::optional).
    if (kv.val.type == msgpack::type::NIL && key != "argv") continue;
    ParseKey(key, kv.val, &r);
  }
  if (r.argv.empty()) Bad("'argv' is required: a non-empty array of strings");
  if (r.argv[0].empty())
    Bad("'argv' element 0 (the program) must not be empty");
  if (r.shell && r.argv.size() != 1) {
    Bad("with 'shell' true, 'argv' must have exactly one element (the command "
        "line), got " +
        std::to_string(r.argv.size()));
  }
  return r;
}

// The child's environment: ours, with the request's names added or replaced.
std::vector<std::string> ChildEnv(const Request& r) {
  std::vector<std::string> out;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string_view entry(*e);
    const std::string_view name = entry.substr(0, entry.find('='));
    const bool replaced =
        std::any_of(r.env.begin(), r.env.end(),
                    [&](const auto& kv) { return kv.first == name; });
    if (!replaced) out.emplace_back(entry);
  }
  for (const auto& [name, value] : r.env) out.push_back(name + "=" + value);
  return out;
}

// The directory relative paths are resolved against: the child's cwd.
fs::path BaseDir(const Request& r) {
  std::error_code ec;
  fs::path here = fs::current_path(ec);
  if (ec) here = "/";
  return r.cwd ? here / *r.cwd : here;  // an absolute cwd replaces `here`
}

// The absolute path execve will run for `name`, searched on the child's
// PATH when it has no slash (as execvp does, but with the child's PATH and
// cwd). Returns the path, or an errno when nothing on PATH is executable.
std::pair<std::string, int> Resolve(const std::string& name, const Request& r,
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

// Moves a descriptor above 0..2, so that mapping the child's stdio never
// overwrites another of the descriptors being mapped.
void AboveStdio(base::Fd& fd) {
  if (fd.get() > 2) return;
  const int moved = ::fcntl(fd.get(), F_DUPFD_CLOEXEC, 3);
  if (moved < 0) Failed("cannot set up the command's pipes", errno);
  fd = base::Fd(moved);
}

base::Pipe MakePipe() {
  auto p = base::Pipe::Create();
  if (!p.ok()) {
    throw TaskError("tq.ExecFailed", "cannot create a pipe for the command: " +
                                         p.status().message());
  }
  AboveStdio(p->read);
  AboveStdio(p->write);
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

// True once the child has exited; leaves it unreaped (a zombie).
bool HasExited(pid_t pid) {
  siginfo_t info{};
  if (::waitid(P_PID, static_cast<id_t>(pid), &info,
               WEXITED | WNOHANG | WNOWAIT) == 0) {
    return info.si_pid == pid;
  }
  return errno != EINTR;  // ECHILD: nothing left to wait for
}

double Ms(const timeval& tv) {
  return tv.tv_sec * 1000.0 + tv.tv_usec / 1000.0;
}

int PollTimeout(Clock::time_point now, std::optional<Clock::time_point> next) {
  if (!next) return -1;
  if (*next <= now) return 0;
  // Rounded up: waking a little early would only spin.
  return static_cast<int>(std::chrono::ceil<milliseconds>(*next - now).count());
}

Outcome Run(const Request& r, const std::string& program) {
  std::vector<std::string> argv = r.argv;
  if (r.shell) argv = {kShell, "-c", r.argv[0]};
  const std::vector<std::string> env = ChildEnv(r);
  std::vector<char*> cargv, cenv;
  for (const std::string& a : argv) {
    cargv.push_back(const_cast<char*>(a.c_str()));
  }
  cargv.push_back(nullptr);
  for (const std::string& e : env) cenv.push_back(const_cast<char*>(e.c_str()));
  cenv.push_back(nullptr);

  base::Pipe out = MakePipe(), err = MakePipe();
  std::optional<base::Pipe> in;
  if (r.stdin_data) in = MakePipe();

  base::SpawnAttrs a;
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&a.attr, &none);
  posix_spawnattr_setsigdefault(&a.attr, &all);
  posix_spawnattr_setpgroup(&a.attr, 0);
  posix_spawnattr_setflags(&a.attr, POSIX_SPAWN_SETSIGMASK |
                                        POSIX_SPAWN_SETSIGDEF |
                                        POSIX_SPAWN_SETPGROUP);
  if (in) {
    posix_spawn_file_actions_adddup2(&a.actions, in->read.get(), 0);
  } else {
    posix_spawn_file_actions_addopen(&a.actions, 0, "/dev/null", O_RDONLY, 0);
  }
  posix_spawn_file_actions_adddup2(&a.actions, out.write.get(), 1);
  posix_spawn_file_actions_adddup2(&a.actions, err.write.get(), 2);
  if (r.cwd) posix_spawn_file_actions_addchdir_np(&a.actions, r.cwd->c_str());
  // The worker's protocol pipes (3, 4) are not O_CLOEXEC, nor need a
  // plugin's descriptors be: the command gets none of them.
  posix_spawn_file_actions_addclosefrom_np(&a.actions, 3);

  // SIGTERM waits until the group is recorded, so the stop handler cannot
  // miss a command that has just started.
  sigset_t term, old;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &term, &old);
  const Clock::time_point start = Clock::now();
  pid_t pid = -1;
  const int spawn_error = posix_spawn(&pid, program.c_str(), &a.actions,
                                      &a.attr, cargv.data(), cenv.data());
  if (spawn_error == 0) g_group.store(pid);
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (spawn_error != 0) {
    Failed("cannot run '" + (r.shell ? program : r.argv[0]) + "'", spawn_error);
  }
  // Should anything below throw, the command does not outlive the task.
  struct Reaper {
    pid_t pid;
    ~Reaper() {
      if (pid <= 0) return;
      ::kill(-pid, SIGKILL);
      g_group.store(0);
      while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
      }
    }
  } reaper{pid};

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
  for (const base::Fd* fd : {&streams[0].fd, &streams[1].fd, &to_child}) {
    if (*fd) (void)base::SetNonBlocking(fd->get());
  }
  // Readable once the child exits; -1 before Linux 5.3, where we tick
  // instead. (glibc 2.36's <sys/pidfd.h> lacks extern "C": call it raw.)
  base::Fd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));

  Outcome o;
  std::optional<Clock::time_point> deadline;  // exec's own timeout
  if (r.timeout.count() > 0) deadline = start + r.timeout;
  std::optional<Clock::time_point> kill_at;      // SIGKILL if still running
  std::optional<Clock::time_point> drain_until;  // set once the child exited
  for (;;) {
    const Clock::time_point now = Clock::now();
    if (!drain_until && HasExited(pid)) {
      ::kill(-pid, SIGKILL);  // what is left of the group
      drain_until = now + kDrainGrace;
      to_child.Close();
    }
    if (drain_until &&
        ((!streams[0].fd && !streams[1].fd) || now >= *drain_until)) {
      break;
    }
    if (!drain_until && deadline && now >= *deadline) {
      o.timed_out = true;
      ::kill(-pid, SIGTERM);
      deadline.reset();
      kill_at = now + kKillAfterTerm;
    }
    if (!drain_until && kill_at && now >= *kill_at) {
      ::kill(-pid, SIGKILL);
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
        fds[n++] = {pidfd.get(), POLLIN, 0};
      } else if (!wake || now + kExitPollTick < *wake) {
        wake = now + kExitPollTick;
      }
    }
    if (::poll(fds, n, PollTimeout(now, wake)) < 0 && errno != EINTR) {
      Failed("poll", errno);  // EINVAL/ENOMEM: not expected
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

  g_group.store(0);  // before reaping: until then the zombie holds the id
  int status = 0;
  rusage usage{};
  pid_t reaped = -1;
  do {
    reaped = ::wait4(pid, &status, 0, &usage);
  } while (reaped < 0 && errno == EINTR);
  reaper.pid = -1;
  o.wall_ms =
      std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  if (reaped == pid) {
    if (WIFEXITED(status)) o.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) o.signal = WTERMSIG(status);
    o.user_ms = Ms(usage.ru_utime);
    o.sys_ms = Ms(usage.ru_stime);
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
  const Request r = Parse(args);
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
