// tq-store-load: the store at a million tasks, the size tqd must start
// from quickly (issue 13's recovery figure) and keep writing to at the
// same cost (pueue's complaint, Nukesor/pueue#573). In one run it:
//   1. commits N queued tasks (~50-byte args) in ONE batch (a plain Apply),
//   2. closes the store (SQLite checkpoints the WAL into tq.db),
//   3. in a fresh process (so that RSS counts the load alone) reopens it
//      (the checks, PRAGMA quick_check included),
//   4. scans every task with ForEachTask, then LoadTasks into a vector,
//      each with the peak RSS it reached (VmHWM, reset in between),
//   5. counts rows with Stats(),
//   6. commits batches of 100 new tasks into the full store and into an
//      empty one, interleaved: rows/s with and without the history,
//   7. deletes 100,000 tasks in one batch (eviction).
// Each step prints its wall time and this process's CPU time (the machine
// is shared: CPU time is the steadier figure), and the load average is
// printed before and after.
//
//   build/bin/tq-store-load [N]       (default 1000000; files under
//                                      $TQ_BENCH_DIR, $TMPDIR or /tmp)
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "../measure.h"
#include "store/batch.h"
#include "store/task_store.h"

namespace {

using tq::store::Batch;
using tq::store::TaskRecord;
using tq::store::TaskStore;

std::string LoadAvg() {
  std::ifstream f("/proc/loadavg");
  std::string s;
  std::getline(f, s);
  return s;
}

// VmHWM or VmRSS of this process in MiB, from /proc/self/status.
double StatusMiB(const std::string& field) {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::stod(line.substr(field.size() + 1)) / 1024;
  }
  return 0;
}

// Resets VmHWM to the current RSS (Linux: clear_refs 5).
void ResetPeak() { std::ofstream("/proc/self/clear_refs") << "5"; }

// Wall and CPU time since construction.
class Timer {
 public:
  double wall() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_).count();
  }
  // "  2.43 s wall, 2.10 s CPU"
  std::string Times() const {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%6.2f s wall, %6.2f s CPU", wall(),
                  tq::bench::SelfCpuSeconds() - cpu_);
    return buf;
  }

 private:
  std::chrono::steady_clock::time_point wall_ = std::chrono::steady_clock::now();
  double cpu_ = tq::bench::SelfCpuSeconds();
};

TaskRecord Queued(std::uint64_t id) {
  TaskRecord t;
  t.id = id;
  t.fn = "inc";
  t.args = std::string(50, static_cast<char>('a' + id % 26));
  t.queued_at_ms = 1'700'000'000'000 + static_cast<std::int64_t>(id);
  t.life.ready_at_ms = t.queued_at_ms;
  return t;
}

std::unique_ptr<TaskStore> OpenOrDie(const std::string& dir) {
  auto store = TaskStore::Open(dir);
  if (!store.ok()) {
    std::fprintf(stderr, "open %s: %s\n", dir.c_str(), store.status().ToString().c_str());
    std::exit(1);
  }
  return std::move(*store);
}

void CommitOrDie(TaskStore& store, const Batch& batch) {
  tq::proto::Status status = store.CommitNow(batch);
  if (!status.ok()) {
    std::fprintf(stderr, "commit: %s\n", status.ToString().c_str());
    std::exit(1);
  }
}

// Rows/s committing `batches` batches of 100 new tasks from id `first`.
double CommitRate(TaskStore& store, std::uint64_t first, int batches) {
  const Timer timer;
  std::uint64_t id = first;
  for (int b = 0; b < batches; ++b) {
    Batch batch;
    for (int i = 0; i < 100; ++i) batch.Put(Queued(id++));
    CommitOrDie(store, batch);
  }
  return static_cast<double>(id - first) / timer.wall();
}

// Steps 1 and 2.
void Create(const std::string& dir, std::uint64_t n) {
  auto store = OpenOrDie(dir);
  Timer timer;
  Batch batch;
  for (std::uint64_t id = 1; id <= n; ++id) batch.Put(Queued(id));
  std::printf("build the batch in memory:       %s\n", timer.Times().c_str());
  timer = Timer();
  CommitOrDie(*store, batch);
  std::printf("commit it in one transaction:    %s  (%.0f rows/s)\n", timer.Times().c_str(),
              static_cast<double>(n) / timer.wall());
  batch.Clear();
  timer = Timer();
  store.reset();
  std::printf("close (checkpoint):              %s\n", timer.Times().c_str());
}

// Steps 3 to 7, on the store in `dir` holding tasks 1..n.
int Load(const std::string& dir, std::uint64_t n) {
  std::printf("fresh process: RSS %.0f MiB\n", StatusMiB("VmRSS"));
  Timer timer;
  auto store = OpenOrDie(dir);
  std::printf("reopen (quick_check included):   %s\n", timer.Times().c_str());
  auto stats = store->Stats();
  std::printf("file: %.1f MiB (%.0f bytes per task)\n",
              static_cast<double>(stats->file_bytes) / (1 << 20),
              static_cast<double>(stats->file_bytes) / static_cast<double>(n));

  ResetPeak();
  timer = Timer();
  std::uint64_t seen = 0;
  tq::proto::Status status = store->ForEachTask([&](TaskRecord&) {
    ++seen;
    return tq::proto::Status::Ok();
  });
  if (!status.ok() || seen != n) {
    std::fprintf(stderr, "scan: %s, %llu rows\n", status.ToString().c_str(),
                 static_cast<unsigned long long>(seen));
    return 1;
  }
  std::printf("ForEachTask over every row:      %s  (%.0f rows/s), peak RSS %.0f MiB\n",
              timer.Times().c_str(), static_cast<double>(n) / timer.wall(),
              StatusMiB("VmHWM"));

  ResetPeak();
  timer = Timer();
  {
    auto tasks = store->LoadTasks();
    if (!tasks.ok() || tasks->size() != n) {
      std::fprintf(stderr, "load: %s\n", tasks.status().ToString().c_str());
      return 1;
    }
    std::printf("LoadTasks into a vector:         %s  (%.0f rows/s), peak RSS %.0f MiB\n",
                timer.Times().c_str(), static_cast<double>(n) / timer.wall(),
                StatusMiB("VmHWM"));
  }

  timer = Timer();
  stats = store->Stats();
  std::printf("Stats (counts by state):         %s\n", timer.Times().c_str());

  {
    auto empty = OpenOrDie(dir + "/empty");
    // Interleaved, each first in turn, so that a burst of load from
    // elsewhere hits both alike.
    constexpr int kRounds = 10;
    double full_rate = 0, empty_rate = 0;
    std::uint64_t next = n + 1;
    for (int round = 0; round < kRounds; ++round) {
      const bool full_first = round % 2 == 0;
      TaskStore& first = full_first ? *store : *empty;
      TaskStore& second = full_first ? *empty : *store;
      const double a = CommitRate(first, next, 50) / kRounds;
      const double b = CommitRate(second, next, 50) / kRounds;
      full_rate += full_first ? a : b;
      empty_rate += full_first ? b : a;
      next += 50 * 100;
    }
    std::printf("batches of 100 inserts: %.0f rows/s into the %llu-row store, %.0f rows/s "
                "into an empty one (ratio %.2f)\n",
                full_rate, static_cast<unsigned long long>(n), empty_rate,
                full_rate / empty_rate);
  }

  timer = Timer();
  Batch evict;
  const std::uint64_t evicted = std::min<std::uint64_t>(n, 100'000);
  for (std::uint64_t id = 1; id <= evicted; ++id) evict.Delete(id);
  CommitOrDie(*store, evict);
  std::printf("delete %llu rows in one batch: %s\n", static_cast<unsigned long long>(evicted),
              timer.Times().c_str());
  return 0;
}

// Runs this program again as "--load DIR N" and waits for it.
int LoadInFreshProcess(const std::string& dir, std::uint64_t n) {
  std::fflush(stdout);  // the child writes to the same stdout
  const std::string count = std::to_string(n);
  char* child_argv[] = {const_cast<char*>("tq-store-load"), const_cast<char*>("--load"),
                        const_cast<char*>(dir.c_str()), const_cast<char*>(count.c_str()),
                        nullptr};
  pid_t pid;
  if (::posix_spawn(&pid, "/proc/self/exe", nullptr, nullptr, child_argv, environ) != 0) {
    std::perror("posix_spawn");
    return 1;
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 4 && std::string(argv[1]) == "--load") {
    return Load(argv[2], std::stoull(argv[3]));
  }
  const std::uint64_t n = argc > 1 ? std::stoull(argv[1]) : 1'000'000;
  const char* base = std::getenv("TQ_BENCH_DIR");
  if (!base || !*base) base = std::getenv("TMPDIR");
  std::string dir = std::string(base && *base ? base : "/tmp") + "/tq-store-load-XXXXXX";
  if (::mkdtemp(dir.data()) == nullptr) {
    std::perror("mkdtemp");
    return 1;
  }
  std::printf("loadavg before: %s\n", LoadAvg().c_str());
  std::printf("%llu queued tasks, 50-byte args, in %s\n", static_cast<unsigned long long>(n),
              dir.c_str());
  Create(dir, n);
  const int rc = LoadInFreshProcess(dir, n);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  std::printf("loadavg after: %s\n", LoadAvg().c_str());
  return rc;
}
