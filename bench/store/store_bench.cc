// tq-store-bench: what durability costs per task in tq_store, on this
// machine's disk, in one run: one fsync (the floor of any commit), then
// TaskStore::CommitNow of batches of 1, 10, 100 and 1000 task inserts
// (WAL, synchronous=FULL: one fsync per batch), as rows per second.
//
// The files live in a fresh directory under $TQ_BENCH_DIR, else $TMPDIR,
// else /tmp: point it at the disk tqd's state directory would use.
//
//   build/bin/tq-store-bench [--benchmark_min_time=1]
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "store/batch.h"
#include "store/task_store.h"

namespace {

using tq::store::Batch;
using tq::store::TaskRecord;
using tq::store::TaskStore;

// A fresh directory for one benchmark, removed with its files at exit.
class BenchDir {
 public:
  BenchDir() {
    const char* base = std::getenv("TQ_BENCH_DIR");
    if (!base || !*base) base = std::getenv("TMPDIR");
    std::string templ = std::string(base && *base ? base : "/tmp") + "/tq-store-bench-XXXXXX";
    if (::mkdtemp(templ.data()) == nullptr) {
      std::perror("mkdtemp");
      std::exit(1);
    }
    path_ = templ;
  }
  ~BenchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// What one commit costs at the least: write a 4 KiB page and fdatasync it
// (SQLite's unix VFS syncs the WAL with fdatasync). "append" grows the
// file each time, as a WAL does until a checkpoint lets it restart;
// "overwrite" rewrites one page in place, as a restarted WAL does.
void BM_Fdatasync(benchmark::State& state) {
  const bool append = state.range(0) == 1;
  BenchDir dir;
  const std::string path = dir.path() + "/sync";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    state.SkipWithError("open failed");
    return;
  }
  const std::vector<char> page(4096, 'x');
  off_t offset = 0;
  for (auto _ : state) {
    if (::pwrite(fd, page.data(), page.size(), offset) != 4096 || ::fdatasync(fd) != 0) {
      state.SkipWithError("write or fdatasync failed");
      break;
    }
    if (append) offset += 4096;
  }
  ::close(fd);
  state.SetLabel(append ? "append 4 KiB" : "overwrite 4 KiB");
}
BENCHMARK(BM_Fdatasync)->Arg(1)->Arg(0)->UseRealTime()->Unit(benchmark::kMicrosecond);

// Commits of `batch` new queued tasks with ~50-byte args each.
void BM_CommitInserts(benchmark::State& state) {
  const auto batch_size = static_cast<std::size_t>(state.range(0));
  BenchDir dir;
  auto opened = TaskStore::Open(dir.path());
  if (!opened.ok()) {
    state.SkipWithError(opened.status().ToString().c_str());
    return;
  }
  TaskStore& store = **opened;
  std::uint64_t next = 1;
  for (auto _ : state) {
    Batch batch;
    for (std::size_t i = 0; i < batch_size; ++i) {
      TaskRecord t;
      t.id = next++;
      t.fn = "inc";
      t.args = std::string(50, 'a');
      t.queued_at_ms = 1'700'000'000'000;
      t.life.ready_at_ms = t.queued_at_ms;
      batch.Put(std::move(t));
    }
    tq::proto::Status status = store.CommitNow(batch);
    if (!status.ok()) {
      state.SkipWithError(status.ToString().c_str());
      break;
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(next - 1));
  state.counters["commits/s"] = benchmark::Counter(
      static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_CommitInserts)
    ->Arg(1)
    ->Arg(10)
    ->Arg(100)
    ->Arg(1000)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();  // its context lines include the load average
