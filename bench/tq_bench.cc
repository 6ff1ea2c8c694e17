// tq-bench: the end-to-end driver of the benchmarks, a libtq client written
// the way a user would write one (tq::Client, apply / apply_async / map).
//
// Each subcommand is one row of the table scripts/bench prints, against a
// tqd that is already running with the bench plugin (bench/bench_tasks.cc):
//
//   tq-bench latency    [--n N]                 N sequential apply("inc")
//   tq-bench throughput [--window W] [--n N]    N apply_async("inc"), <= W in flight
//   tq-bench map        [--items N] [--window W] [--chunk C]
//   tq-bench cpu        [--tasks N] [--us U] [--mode apply_async|map]
//   tq-bench exec       [--jobs N] [--tq PATH]  `tq map -- true`, N items
//   tq-bench rss        [--tasks N]             tqd's RSS idle and with N queued
//
// --ack-less makes throughput's and rss's apply_async submits ack-less
// (SubmitOptions::ack = false): impl=tq-ackless. map's are ack-less
// unless --acked, which gives the map a TaskGroup (a group's calls are
// acknowledged, to be cancelled by id): impl=tq-acked, for comparison.
//
// Every subcommand prints one machine-readable line, `impl=tq row=NAME
// key=value ...`, on stdout (diagnostics go to stderr) and exits 0; a
// wrong result, a refused task or an unreachable tqd exits 1. Nothing here
// asserts on speed: the numbers are reported, scripts/bench compares them.
#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <numeric>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "measure.h"
#include "tq/client.h"

extern char** environ;

namespace {

using tq::bench::Percentile;
using tq::bench::ProcCpuSeconds;
using tq::bench::SelfCpuSeconds;

using Clock = std::chrono::steady_clock;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }
double Micros(Clock::duration d) {
  return std::chrono::duration<double, std::micro>(d).count();
}

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "tq-bench: %s\n", what.c_str());
  std::exit(1);
}

void Check(std::int64_t got, std::int64_t want, const char* where) {
  if (got != want) {
    Fail(std::string(where) + ": inc returned " + std::to_string(got) +
         ", expected " + std::to_string(want));
  }
}

// Where the CPU time of a run went: this client, tqd, its workers.
class CpuMeter {
 public:
  explicit CpuMeter(tq::Client& client) {
    tqd_ = client.ping().pid;
    for (const auto& w : client.workers()) workers_.push_back(w.pid);
    Start();
  }
  void Start() { start_ = Now(); }
  // " client_cpu_us=... server_cpu_us=... workers_cpu_us=...": µs per task
  // since Start() (server: tqd).
  std::string PerTask(std::size_t tasks) const {
    const Sample now = Now();
    const double n = static_cast<double>(tasks);
    char buf[160];
    std::snprintf(buf, sizeof buf, " client_cpu_us=%.2f server_cpu_us=%.2f workers_cpu_us=%.2f",
                  (now.client - start_.client) * 1e6 / n, (now.server - start_.server) * 1e6 / n,
                  (now.workers - start_.workers) * 1e6 / n);
    return buf;
  }

 private:
  struct Sample {
    double client = 0, server = 0, workers = 0;
  };
  Sample Now() const {
    Sample s;
    s.client = SelfCpuSeconds();
    s.server = ProcCpuSeconds(tqd_);
    for (std::uint32_t pid : workers_) s.workers += ProcCpuSeconds(pid);
    return s;
  }
  std::uint32_t tqd_ = 0;
  std::vector<std::uint32_t> workers_;
  Sample start_;
};

tq::Client Connect(const std::string& endpoint) {
  tq::ClientOptions options;
  options.endpoint = endpoint;
  options.connect_timeout = std::chrono::seconds(10);
  return tq::Client(std::move(options));
}

// What latency and throughput submit with: --durable / --no-durable set
// SubmitOptions::durable; neither leaves it to tqd's default. --ack-less
// clears SubmitOptions::ack (throughput and rss).
tq::SubmitOptions submit_options;

// "-durable", "-volatile" or "" (tqd's default), then "-ackless" with
// --ack-less: the impl= tag's suffix.
std::string Durability() {
  std::string tag;
  if (submit_options.durable) tag = *submit_options.durable ? "-durable" : "-volatile";
  if (!submit_options.ack) tag += "-ackless";
  return tag;
}

// ---- fsync: what one costs where the store lives ----------------------------

// N times: overwrite 4 KiB of a file in `dir` and fdatasync it, as a
// commit of a small batch does (SQLite's WAL append + sync).
void Fsync(const std::string& dir, std::size_t n) {
  const std::string path = dir + "/tq-bench-fsync";
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) Fail("open " + path + ": " + std::strerror(errno));
  const std::string page(4096, 'f');
  std::vector<double> us;
  for (std::size_t i = 0; i < n; ++i) {
    const auto t0 = Clock::now();
    if (::pwrite(fd, page.data(), page.size(), static_cast<off_t>((i % 64) * page.size())) !=
            static_cast<ssize_t>(page.size()) ||
        ::fdatasync(fd) != 0) {
      Fail("write/fdatasync " + path + ": " + std::strerror(errno));
    }
    us.push_back(Micros(Clock::now() - t0));
  }
  ::close(fd);
  ::unlink(path.c_str());
  std::sort(us.begin(), us.end());
  std::printf("impl=disk row=fsync n=%zu p50_us=%.1f p90_us=%.1f p99_us=%.1f\n", n,
              Percentile(us, 0.50), Percentile(us, 0.90), Percentile(us, 0.99));
}

// ---- latency: sequential apply ----------------------------------------------

void Latency(tq::Client& client, std::size_t n, std::size_t warmup) {
  for (std::size_t i = 0; i < warmup; ++i) {
    const auto x = static_cast<std::int64_t>(i);
    Check(client.apply<std::int64_t>(submit_options, "inc", x), x + 1, "latency warm-up");
  }
  std::vector<double> us;
  us.reserve(n);
  CpuMeter cpu(client);
  const auto start = Clock::now();
  for (std::size_t i = 0; i < n; ++i) {
    const auto x = static_cast<std::int64_t>(i);
    const auto t0 = Clock::now();
    const std::int64_t y = client.apply<std::int64_t>(submit_options, "inc", x);
    us.push_back(Micros(Clock::now() - t0));
    Check(y, x + 1, "latency");
  }
  const double wall = Seconds(Clock::now() - start);
  const std::string cpu_per_task = cpu.PerTask(n);
  std::sort(us.begin(), us.end());
  std::printf(
      "impl=tq%s row=latency n=%zu p50_us=%.1f p90_us=%.1f p99_us=%.1f "
      "mean_us=%.1f min_us=%.1f max_us=%.1f wall_s=%.3f%s\n",
      Durability().c_str(), n, Percentile(us, 0.50), Percentile(us, 0.90), Percentile(us, 0.99),
      std::accumulate(us.begin(), us.end(), 0.0) / static_cast<double>(n),
      us.front(), us.back(), wall, cpu_per_task.c_str());
}

// ---- throughput: apply_async, at most `window` in flight ------------------

// Submits n inc tasks keeping at most `window` unfinished; results are
// collected oldest first, as a user of a ring of futures would.
double Pipelined(tq::Client& client, std::size_t n, std::size_t window) {
  std::vector<tq::AsyncResult<std::int64_t>> ring(window);
  const auto start = Clock::now();
  for (std::size_t i = 0; i < n; ++i) {
    auto& slot = ring[i % window];
    if (i >= window) {
      const auto x = static_cast<std::int64_t>(i - window);
      Check(slot.get(), x + 1, "throughput");
    }
    slot = client.apply_async<std::int64_t>(submit_options, "inc", static_cast<std::int64_t>(i));
  }
  for (std::size_t i = n > window ? n - window : 0; i < n; ++i) {
    Check(ring[i % window].get(), static_cast<std::int64_t>(i) + 1, "throughput");
  }
  return Seconds(Clock::now() - start);
}

void Throughput(tq::Client& client, std::size_t n, std::size_t window, std::size_t warmup) {
  if (warmup > 0) Pipelined(client, warmup, window);
  CpuMeter cpu(client);
  const double wall = Pipelined(client, n, window);
  std::printf("impl=tq%s row=throughput window=%zu n=%zu wall_s=%.3f tasks_per_s=%.0f%s\n",
              Durability().c_str(), window, n, wall, static_cast<double>(n) / wall,
              cpu.PerTask(n).c_str());
}

// ---- map -------------------------------------------------------------------

void Map(tq::Client& client, std::size_t items, std::size_t window, std::size_t chunk,
         bool acked) {
  std::vector<std::int64_t> inputs(items);
  std::iota(inputs.begin(), inputs.end(), std::int64_t{0});
  tq::MapOptions options{.window = window, .chunksize = chunk};
  if (acked) options.submit.group = std::make_shared<tq::TaskGroup>();
  CpuMeter cpu(client);
  const auto start = Clock::now();
  const std::vector<std::int64_t> out = client.map<std::int64_t>("inc", inputs, options);
  const double wall = Seconds(Clock::now() - start);
  const std::string cpu_per_task = cpu.PerTask(items);
  if (out.size() != items) Fail("map returned " + std::to_string(out.size()) + " items");
  for (std::size_t i = 0; i < items; ++i) Check(out[i], inputs[i] + 1, "map");
  std::printf("impl=tq%s row=map items=%zu window=%zu chunk=%zu wall_s=%.3f items_per_s=%.0f%s\n",
              acked ? "-acked" : "", items, window, tq::detail::ChunkSize({.chunksize = chunk}, items), wall,
              static_cast<double>(items) / wall, cpu_per_task.c_str());
}

// ---- cpu: efficiency of 1 ms CPU-bound tasks ----------------------------------

void Cpu(tq::Client& client, std::size_t tasks, std::int64_t micros, const std::string& mode) {
  // workers(), not ping().workers: ping counts tqd's own workers only, and
  // an agents-only tqd (bench/agents/run) has none of those.
  const auto workers = static_cast<std::uint32_t>(client.workers().size());
  if (workers == 0) Fail("tqd reports 0 workers");
  double cpu_us = 0;
  const auto start = Clock::now();
  if (mode == "apply_async") {
    std::vector<tq::AsyncResult<double>> results;
    results.reserve(tasks);
    for (std::size_t i = 0; i < tasks; ++i) {
      results.push_back(client.apply_async<double>("burn_us", micros));
    }
    for (const auto& r : results) cpu_us += r.get();
  } else if (mode == "map") {
    const std::vector<std::int64_t> inputs(tasks, micros);
    for (double used : client.map<double>("burn_us", inputs)) cpu_us += used;
  } else {
    Fail("cpu: --mode must be apply_async or map");
  }
  const double wall_us = Micros(Clock::now() - start);
  // efficiency counts the CPU the tasks got; busy_efficiency their wall
  // time (each spins `micros` of wall time), so it leaves out CPU taken
  // from a running task by other load and shows the gaps between tasks.
  std::printf(
      "impl=tq row=cpu mode=%s tasks=%zu task_us=%" PRId64
      " workers=%u cpu_s=%.3f wall_s=%.3f efficiency=%.3f busy_efficiency=%.3f\n",
      mode.c_str(), tasks, micros, workers, cpu_us / 1e6, wall_us / 1e6,
      cpu_us / workers / wall_us,
      static_cast<double>(tasks) * static_cast<double>(micros) / workers / wall_us);
}

// ---- exec: `tq map -- true` through the CLI ------------------------------------

std::string SelfDir() {
  return std::filesystem::read_symlink("/proc/self/exe").parent_path().string();
}

void Exec(const std::string& endpoint, std::size_t jobs, std::string tq) {
  if (tq.empty()) tq = SelfDir() + "/tq";
  char dir_template[] = "/tmp/tq-bench-exec.XXXXXX";
  if (mkdtemp(dir_template) == nullptr) Fail("mkdtemp failed");
  const std::string dir = dir_template;
  const std::string items = dir + "/items", err = dir + "/stderr";
  {
    std::ofstream f(items);
    for (std::size_t i = 1; i <= jobs; ++i) f << i << "\n";
  }
  std::vector<std::string> args = {tq};
  if (!endpoint.empty()) args.insert(args.end(), {"--endpoint", endpoint});
  args.insert(args.end(), {"map", "--", "true"});
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, items.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  pid_t pid = 0;
  const auto start = Clock::now();
  const int rc = posix_spawn(&pid, tq.c_str(), &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  int status = 0;
  if (rc == 0) waitpid(pid, &status, 0);
  const double wall = Seconds(Clock::now() - start);

  std::string reason;
  if (rc != 0) {
    reason = std::string("cannot run ") + tq + ": " + std::strerror(rc);
  } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::ifstream f(err);
    std::string line;
    std::getline(f, line);
    reason = "tq map -- true exited " +
             std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status)) +
             ": " + line;
  }
  std::filesystem::remove_all(dir);
  if (!reason.empty()) {
    // The row shows n/a: `tq map -- CMD` (the exec task) is not there, or broke.
    for (char& c : reason) {
      if (c == ' ') c = '_';
    }
    std::fprintf(stderr, "tq-bench: exec: %s\n", reason.c_str());
    std::printf("impl=tq row=exec jobs=%zu jobs_per_s=n/a reason=%s\n", jobs, reason.c_str());
    return;
  }
  std::printf("impl=tq row=exec jobs=%zu wall_s=%.3f jobs_per_s=%.1f\n", jobs, wall,
              static_cast<double>(jobs) / wall);
}

// ---- rss: tqd's memory, idle and with many tasks queued -----------------------

// VmRSS of `pid` in KiB, from /proc/PID/status.
std::uint64_t RssKiB(std::uint32_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6));
  }
  Fail("no VmRSS for pid " + std::to_string(pid) + " (is tqd on this machine?)");
}

template <typename Pred>
void WaitUntil(Pred pred, std::chrono::seconds timeout, const char* what) {
  const auto deadline = Clock::now() + timeout;
  while (!pred()) {
    if (Clock::now() > deadline) Fail(std::string("timed out waiting for ") + what);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

// Needs a tqd whose every worker can be kept busy by one `sleep` task
// (--workers 1) and --max-queued >= tasks. Leaves the tasks queued: the
// caller stops tqd afterwards.
void Rss(tq::Client& client, std::size_t tasks) {
  const tq::ServerInfo info = client.ping();
  if (info.workers != 1) Fail("rss: start tqd with --workers 1 (it has " +
                              std::to_string(info.workers) + ")");
  const std::uint64_t idle_kib = RssKiB(info.pid);

  auto blocker = client.apply_async<void>("sleep", std::int64_t{3'600'000});
  WaitUntil([&] { return client.stats().running == 1; }, std::chrono::seconds(10),
            "the sleep task to occupy the worker");
  const std::uint64_t before_kib = RssKiB(info.pid);

  std::vector<tq::AsyncResult<void>> queued;
  queued.reserve(tasks);
  const auto start = Clock::now();
  for (std::size_t i = 0; i < tasks; ++i) {
    queued.push_back(client.apply_async<void>(submit_options, "noop"));
  }
  // tqd handles one connection's requests in order: the answer to the
  // stats request sent after the last submit means all are queued (or
  // some were refused, which the stats show); ack-less ones tell nothing
  // sooner.
  if (submit_options.ack && queued.back().raw().wait_accepted() == 0) {
    Fail("rss: the last noop was not accepted: " + queued.back().outcome().message +
         " (is --max-queued >= " + std::to_string(tasks) + "?)");
  }
  const tq::QueueStats stats = client.stats();
  const double submit_s = Seconds(Clock::now() - start);
  if (stats.queued != tasks) {
    Fail("rss: " + std::to_string(stats.queued) + " tasks queued, expected " +
         std::to_string(tasks));
  }
  const std::uint64_t queued_kib = RssKiB(info.pid);
  const double per_task =
      (static_cast<double>(queued_kib) - static_cast<double>(before_kib)) * 1024.0 /
      static_cast<double>(tasks);
  std::printf(
      "impl=tq%s row=rss tqd_pid=%u idle_kib=%" PRIu64 " busy_kib=%" PRIu64
      " queued=%zu queued_kib=%" PRIu64 " bytes_per_task=%.0f submit_s=%.3f\n",
      Durability().c_str(), info.pid, idle_kib, before_kib, tasks, queued_kib, per_task, submit_s);
  std::fflush(stdout);
  (void)blocker;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"tq-bench: end-to-end benchmarks of tq through libtq"};
  app.require_subcommand(1);
  std::string endpoint;
  app.add_option("--endpoint", endpoint, "tqd's endpoint (default: $TQ_ENDPOINT, ...)");

  std::size_t n = 5000, warmup = 200, window = 1000, items = 1'000'000, chunk = 0;
  std::size_t tasks = 2000, jobs = 1000, rss_tasks = 1'000'000;
  std::int64_t micros = 1000;
  std::string mode = "apply_async", tq_path;

  auto* latency = app.add_subcommand("latency", "N sequential apply(inc): p50/p90/p99");
  latency->add_option("--n", n, "Timed calls")->capture_default_str();
  latency->add_option("--warmup", warmup, "Untimed calls first")->capture_default_str();

  auto* throughput =
      app.add_subcommand("throughput", "N apply_async(inc), at most W in flight: tasks/s");
  throughput->add_option("--window,-w", window, "Most tasks in flight")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  throughput->add_option("--n", n, "Timed tasks")->capture_default_str();
  throughput->add_option("--warmup", warmup, "Untimed tasks first")->capture_default_str();

  auto* map = app.add_subcommand("map", "client.map(inc) over N ints: items/s");
  map->add_option("--items", items, "Inputs")->capture_default_str();
  map->add_option("--window,-w", window, "tq::MapOptions::window; 0: its default")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  map->add_option("--chunk", chunk, "tq::MapOptions::chunksize; 0: auto")
      ->capture_default_str();
  bool acked = false;
  map->add_flag("--acked", acked, "Acknowledged submits (through a TaskGroup), to compare");

  auto* cpu = app.add_subcommand("cpu", "N burn_us(U) tasks: (task CPU / workers) / wall");
  cpu->add_option("--tasks", tasks, "Tasks")->capture_default_str();
  cpu->add_option("--us", micros, "CPU µs per task")->capture_default_str();
  cpu->add_option("--mode", mode, "apply_async (all at once) or map")
      ->capture_default_str()
      ->check(CLI::IsMember({"apply_async", "map"}));

  auto* exec = app.add_subcommand("exec", "tq map -- true over N items: jobs/s");
  exec->add_option("--jobs", jobs, "Items")->capture_default_str();
  exec->add_option("--tq", tq_path, "The tq CLI (default: next to tq-bench)");

  auto* rss = app.add_subcommand(
      "rss", "tqd's VmRSS idle, and with N noop tasks queued behind one busy worker");
  rss->add_option("--tasks", rss_tasks, "Tasks to queue")->capture_default_str();

  app.add_flag_function("--durable", [](std::int64_t) { submit_options.durable = true; },
                        "latency, throughput: durable tasks");
  app.add_flag_function("--no-durable", [](std::int64_t) { submit_options.durable = false; },
                        "latency, throughput: tasks in memory only");
  app.add_flag_function("--ack-less", [](std::int64_t) { submit_options.ack = false; },
                        "throughput, rss: ack-less submits (no ACCEPTED)");
  std::string fsync_dir = ".";
  auto* fsync = app.add_subcommand("fsync", "N writes of 4 KiB + fdatasync in DIR: p50/p90/p99");
  fsync->add_option("--dir", fsync_dir, "Where (the state directory)")->capture_default_str();
  fsync->add_option("--n", n, "Syncs")->capture_default_str();

  CLI11_PARSE(app, argc, argv);
  if (n == 0) Fail("--n must be positive");

  try {
    if (*exec) {
      Exec(endpoint, jobs, tq_path);
      return 0;
    }
    if (*fsync) {
      Fsync(fsync_dir, n);
      return 0;
    }
    tq::Client client = Connect(endpoint);
    if (*latency) Latency(client, n, warmup);
    if (*throughput) Throughput(client, n, window, warmup);
    if (*map) Map(client, items, window, chunk, acked);
    if (*cpu) Cpu(client, tasks, micros, mode);
    if (*rss) Rss(client, rss_tasks);
  } catch (const tq::Error& e) {
    Fail(e.what());
  }
  return 0;
}
