// FakeSpawner: workers without processes, for WorkerPool's unit tests.
//
// Each spawned worker is a FakeWorker: a pretend pid and real pipes, whose
// far ends the test holds. The test plays the worker: it reads the task
// frames the pool writes, writes hello/result/progress frames back, closes
// the pipes (EOF) and makes the "process" exit (reapable by TryReap), in
// whatever order the case under test needs. Signals are recorded; by
// default SIGTERM and SIGKILL make the fake exit as a real worker would.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "worker_process.h"

namespace tq::daemon::testing {

struct FakeWorker {
  pid_t pid = 0;
  std::vector<int> signals;
  std::optional<base::ExitStatus> exit;  // set: exited, reapable
  bool reaped = false;
  std::uint64_t rss_bytes = 0;
  bool dies_on_term = true;  // SIGTERM ends it (false: it ignores SIGTERM)
  base::Fd tasks;    // the worker's end of its task pipe (fd 3)
  base::Fd results;  // the worker's end of its result pipe (fd 4)
  bool prefetch = false;  // its hello says it takes tasks sent ahead
  std::vector<std::uint64_t> drops;  // drop frames ReadTask came across

  // Frames the worker would write.
  void Hello(const std::vector<std::string>& functions = {"f"});
  void Result(std::uint64_t task_id, std::string_view value = "\xc0");
  void Fail(std::uint64_t task_id, std::string_view type, std::string_view message);
  void Progress(std::uint64_t task_id, double done, double total);
  void Dropped(std::uint64_t task_id);
  void WriteRaw(std::string_view bytes);
  // The next task frame the pool sent, if any (non-blocking): its id.
  // Drop frames on the way go to `drops`.
  std::optional<std::uint64_t> ReadTask();
  // True once the pool has closed its end of the task pipe (EOF).
  bool InputClosed();
  // Closes both pipe ends, as exiting does.
  void ClosePipes();
  // Exits: pipes closed, exit status reapable.
  void Exit(int code);
  void Kill(int signal);

 private:
  std::string pending_;  // task bytes read but not yet a whole frame
};

class FakeSpawner final : public WorkerSpawner {
 public:
  proto::Result<SpawnedWorker> Spawn(const WorkerCommand& command) override;

  // Every worker spawned, oldest first.
  std::vector<std::shared_ptr<FakeWorker>> spawned;
  std::shared_ptr<FakeWorker> last() const { return spawned.back(); }
  // Spawns fail with this while it is set.
  std::optional<std::string> fail_with;
  std::vector<WorkerCommand> commands;

 private:
  pid_t next_pid_ = 5000001;  // above PID_MAX_LIMIT (4194304): never a real pid
};

}  // namespace tq::daemon::testing
