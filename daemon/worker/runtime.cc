// The worker runtime: tq-worker's Main, shared with custom worker programs:
// flags, the process's signals and limits, plugins, then the task loop
// (task_loop.h) on the protocol fds.
//
// Protocol fds are fixed by tqd: 3 carries task frames in, 4 carries hello
// and result frames out (proto/PROTOCOL.md, "Worker pipes"). stdout and
// stderr stay the task's own. The loop is blocking and single-threaded:
// a worker runs one task at a time, and tqd only sends it one when idle.
#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "agent_exec.h"
#include "exec_task.h"
#include "task_loop.h"
#include "tq/proto/limits.h"
#include "tq/worker/task.h"

namespace tq::worker {
namespace {

constexpr int kTaskFd = 3;
constexpr int kResultFd = 4;

bool LoadPlugin(const std::string& path, Registry& registry) {
  // RTLD_LOCAL: plugins cannot clash with each other's symbols. Never
  // dlclose'd: the registry holds their code.
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    std::fprintf(stderr, "tq-worker: cannot load plugin %s: %s\n",
                 path.c_str(), dlerror());
    return false;
  }
  using Entry = void (*)(Registry&);
  auto entry = reinterpret_cast<Entry>(dlsym(handle, "tq_plugin_register_v1"));
  if (entry == nullptr) {
    std::fprintf(stderr,
                 "tq-worker: %s is not a tq plugin (no TQ_PLUGIN entry point "
                 "tq_plugin_register_v1)\n",
                 path.c_str());
    return false;
  }
  registry.set_origin(path);
  entry(registry);
  registry.set_origin("");
  return true;
}

// Lowers one resource limit of this process (soft and hard), e.g. from
// tqd's --worker-rlimit-as. False, with a message, if the kernel refuses.
bool LowerLimit(int resource, const char* name, rlim_t soft, rlim_t hard) {
  const rlimit limit{soft, hard};
  if (::setrlimit(resource, &limit) != 0) {
    std::fprintf(stderr, "tq-worker: setrlimit(%s, %llu): %s\n", name,
                 static_cast<unsigned long long>(soft), std::strerror(errno));
    return false;
  }
  return true;
}

bool IsOpen(int fd) { return ::fcntl(fd, F_GETFD) >= 0; }

}  // namespace

int Main(int argc, char** argv, Registry& registry) {
  // On another host, by hand, systemd or Slurm: be tq-agent instead.
  if (WantsAgent(argc, argv)) return ExecAgent(argc, argv);
  CLI::App app{"tq-worker: runs tasks for tqd. Started by tqd, not by hand; "
               "`tq-worker --connect tcp://HEAD:PORT ...` runs tq-agent for a tqd on "
               "another host (tq-agent --help)."};
  std::vector<std::string> plugins;
  app.add_option("--plugin", plugins, "Task plugin (.so) to load; repeatable");
  std::string exec = "on";
  ExecPolicy exec_policy;
  app.add_option("--exec", exec, "Whether the exec builtin may run commands")
      ->check(CLI::IsMember({"on", "off"}));
  app.add_option("--exec-allow", exec_policy.allow,
                 "Absolute path of a program exec may run; repeatable "
                 "(default: any)");
  proto::Limits limits;
  std::uint64_t rlimit_as = 0;
  std::uint64_t rlimit_cpu = 0;
  app.add_option("--max-result-bytes", limits.max_result_bytes,
                 "Largest result value; bigger ones fail as tq.ResultTooLarge")
      ->check(CLI::Range(std::size_t{1}, proto::Limits{}.max_result_bytes));
  app.add_option("--rlimit-as", rlimit_as, "RLIMIT_AS in bytes (0: unchanged)");
  app.add_option("--rlimit-cpu", rlimit_cpu,
                 "RLIMIT_CPU in seconds (0: unchanged): SIGXCPU then, SIGKILL 1 s later");
  CLI11_PARSE(app, argc, argv);
  exec_policy.enabled = exec == "on";
  SetExecPolicy(std::move(exec_policy));

  if (!IsOpen(kTaskFd) || !IsOpen(kResultFd)) {
    std::fprintf(stderr,
                 "tq-worker: must be started by tqd (fds 3 and 4 are not "
                 "open)\n");
    return 2;
  }
  // A write to a tqd that is gone fails with EPIPE and ends the loop; and
  // if tqd dies mid-task, the kernel ends us rather than leave an orphan
  // running a task whose result nobody can receive.
  ::signal(SIGPIPE, SIG_IGN);
  // tqd stops a worker whose task timed out or was cancelled with SIGTERM:
  // a running exec command's process group goes with it.
  InstallExecStopHandler();
  // SIGTERM rather than SIGKILL, so the handler above takes an exec
  // command's process group along.
  ::prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (::getppid() == 1) return 0;  // tqd died before prctl took effect
  // tqd runs gdb on a worker whose task timed out; gdb is tqd's child, not
  // ours, so Yama's ptrace_scope=1 would refuse it without this.
  ::prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY);
  // Before the plugins load, so the limits cover everything the worker does.
  if (rlimit_as != 0 && !LowerLimit(RLIMIT_AS, "RLIMIT_AS", rlimit_as, rlimit_as)) {
    return 2;
  }
  if (rlimit_cpu != 0 &&
      !LowerLimit(RLIMIT_CPU, "RLIMIT_CPU", rlimit_cpu, rlimit_cpu + 1)) {
    return 2;
  }
  TaskLoop loop(registry, limits, kTaskFd, kResultFd);
  registry.set_host(&loop);  // before plugins register: they keep it
  for (const std::string& path : plugins) {
    if (!LoadPlugin(path, registry)) return 2;
  }
  return loop.Run();
}

}  // namespace tq::worker
