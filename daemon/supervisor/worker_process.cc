// ProcessSpawner: tq-worker processes on base::Subprocess.
#include "worker_process.h"

#include <string_view>

#include "base/subprocess.h"
#include "proc_stats.h"

extern char** environ;

namespace tq::daemon {
namespace {

constexpr int kTaskFd = 3;
constexpr int kResultFd = 4;

// tqd's environment with `extra`'s NAME=value entries set.
std::vector<std::string> EnvironmentWith(const std::vector<std::string>& extra) {
  auto name_of = [](std::string_view entry) { return entry.substr(0, entry.find('=')); };
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string_view entry(*e);
    bool replaced = false;
    for (const std::string& x : extra) replaced = replaced || name_of(x) == name_of(entry);
    if (!replaced) env.emplace_back(entry);
  }
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

class ChildWorker final : public WorkerProcess {
 public:
  explicit ChildWorker(base::Subprocess process) : process_(std::move(process)) {}

  pid_t pid() const override { return process_.pid(); }
  void Signal(int signal) override { process_.Kill(signal); }
  std::optional<base::ExitStatus> TryReap() override {
    if (!process_.TryReap()) return std::nullopt;
    return process_.exit_status();
  }
  std::uint64_t RssBytes() const override { return ReadRssBytes(process_.pid()); }

 private:
  // Its destructor kills and waits for a child that was never reaped; the
  // pool destroys a handle early only when tqd itself is exiting.
  base::Subprocess process_;
};

}  // namespace

proto::Result<StackCapture> WorkerProcess::CaptureStack(const std::string& tool,
                                                        base::TimePoint deadline) {
  return StackCapture::Start(tool, pid(), deadline);
}

proto::Result<SpawnedWorker> ProcessSpawner::Spawn(const WorkerCommand& command) {
  auto tasks = base::Pipe::Create();
  if (!tasks.ok()) return tasks.status();
  auto results = base::Pipe::Create();
  if (!results.ok()) return results.status();
  TQ_RETURN_IF_ERROR(base::SetNonBlocking(tasks->write.get()));
  TQ_RETURN_IF_ERROR(base::SetNonBlocking(results->read.get()));

  base::SpawnOptions options;
  options.argv.push_back(command.program);
  for (const std::string& p : command.plugins) {
    options.argv.push_back("--plugin");
    options.argv.push_back(p);
  }
  for (const std::string& a : command.extra_args) options.argv.push_back(a);
  options.fd_map = {{kTaskFd, tasks->read.get()},
                    {kResultFd, results->write.get()}};
  // Nothing of tqd's leaks into a worker, whether or not it is O_CLOEXEC
  // (a ZeroMQ socket's, another worker's pipe).
  options.close_other_fds = true;
  if (!command.env.empty()) options.env = EnvironmentWith(command.env);
  auto process = base::Subprocess::Spawn(options);
  if (!process.ok()) return process.status();
  // The child's ends close when `tasks` and `results` go out of scope, so
  // EOF on ours means the worker is gone.
  return SpawnedWorker{std::make_unique<ChildWorker>(std::move(*process)),
                       std::move(tasks->write), std::move(results->read)};
}

}  // namespace tq::daemon
