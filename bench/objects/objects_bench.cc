// tq-objects-bench: tqd's named objects and task pipes, measured the way a
// libtq user calls them, for the comparison with Python's
// multiprocessing.Manager (bench/objects/manager_bench.py; both run by
// bench/objects/run).
//
//   tq-objects-bench latency    --op dict_get|dict_incr|queue_pair|pipe|ping [--n N]
//       N sequential calls, one round trip each (queue_pair: a put and a
//       get; pipe: a message to a task and its echo back; ping: libtq's
//       floor, a round trip that touches no object); p50 and p99 µs
//   tq-objects-bench throughput --op dict_incr|queue [--n N] [--window W]
//       N pipelined calls from one client, at most W in flight (queue: N
//       puts then N gets); calls per second
//
// Against a tqd already running with the bench plugin (bench_tasks.cc:
// pipe_echo) on $TQ_ENDPOINT. Each run prints one line, `impl=tq row=NAME
// key=value ...`, and exits 0; a wrong result exits 1. Objects are named
// after the pid and dropped at the end. Nothing here asserts on speed.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <string>
#include <vector>

#include "measure.h"
#include "tq/client.h"

namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "tq-objects-bench: %s\n", what.c_str());
  std::exit(1);
}

double Micros(Clock::duration d) { return std::chrono::duration<double, std::micro>(d).count(); }

// Runs `once` n times (after n / 10 unmeasured), printing p50 and p99.
template <typename F>
void Latency(const std::string& op, int n, F&& once) {
  for (int i = 0; i < std::max(1, n / 10); ++i) once(i);
  std::vector<double> us;
  us.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    const auto start = Clock::now();
    once(i);
    us.push_back(Micros(Clock::now() - start));
  }
  std::sort(us.begin(), us.end());
  std::printf("impl=tq row=latency op=%s n=%d p50_us=%.1f p99_us=%.1f\n", op.c_str(), n,
              tq::bench::Percentile(us, 0.50), tq::bench::Percentile(us, 0.99));
}

// Keeps at most `window` results of `start(i)` in flight for i < n and
// calls `check` on each in order; returns the seconds taken.
template <typename Start, typename Check>
double Pipelined(int n, int window, Start&& start, Check&& check) {
  const auto begin = Clock::now();
  std::deque<decltype(start(0))> in_flight;
  for (int i = 0; i < n; ++i) {
    if (static_cast<int>(in_flight.size()) >= window) {
      check(in_flight.front());
      in_flight.pop_front();
    }
    in_flight.push_back(start(i));
  }
  for (auto& r : in_flight) check(r);
  return std::chrono::duration<double>(Clock::now() - begin).count();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("tqd's named objects and pipes, for the comparison with multiprocessing.Manager");
  app.require_subcommand(1);
  std::string op;
  int n = 5000, window = 1000;
  CLI::App* latency = app.add_subcommand("latency", "sequential calls: p50 and p99 µs");
  latency->add_option("--op", op)->required()->check(
      CLI::IsMember({"dict_get", "dict_incr", "queue_pair", "pipe", "ping"}));
  latency->add_option("--n", n)->check(CLI::PositiveNumber);
  CLI::App* throughput = app.add_subcommand("throughput", "pipelined calls per second");
  throughput->add_option("--op", op)->required()->check(CLI::IsMember({"dict_incr", "queue"}));
  throughput->add_option("--n", n)->check(CLI::PositiveNumber);
  throughput->add_option("--window", window)->check(CLI::PositiveNumber);
  CLI11_PARSE(app, argc, argv);

  try {
    tq::Client client;
    const std::string name = "bench-" + std::to_string(::getpid());
    auto d = client.dict<std::string, std::int64_t>(name);
    auto q = client.queue<std::int64_t>(name);
    if (latency->parsed()) {
      if (op == "dict_get") {
        d.set("k", 42);
        Latency(op, n, [&](int) {
          if (d.get("k") != 42) Fail("dict get: wrong value");
        });
      } else if (op == "dict_incr") {
        Latency(op, n, [&](int) { (void)d.incr("k"); });
      } else if (op == "ping") {
        Latency(op, n, [&](int) { (void)client.ping(); });
      } else if (op == "queue_pair") {
        Latency(op, n, [&](int i) {
          q.put(i);
          if (q.get() != i) Fail("queue get: wrong item");
        });
      } else {
        auto [task, chan] = client.process_with_pipe("pipe_echo");
        task.start();
        Latency(op, n, [&](int i) {
          chan.send(static_cast<std::int64_t>(i));
          if (chan.recv<std::int64_t>() != i) Fail("pipe: wrong echo");
        });
        chan.close();
        if (!task.join(std::chrono::seconds(30)) || task.exitcode() != 0) Fail("pipe task failed");
      }
    } else if (op == "dict_incr") {
      std::int64_t expected = 0;
      const double s = Pipelined(
          n, window, [&](int) { return d.incr_async("k"); },
          [&](tq::AsyncResult<std::int64_t>& r) {
            if (r.get() != ++expected) Fail("pipelined incr: out of order or lost");
          });
      if (d.get("k") != n) Fail("pipelined incr: wrong total");
      std::printf("impl=tq row=throughput op=%s n=%d window=%d calls_per_s=%.0f\n", op.c_str(), n,
                  window, n / s);
    } else {
      const double put_s = Pipelined(
          n, window, [&](int i) { return q.put_async(i); },
          [](tq::AsyncResult<void>& r) { r.get(); });
      std::int64_t expected = 0;
      const double get_s = Pipelined(
          n, window, [&](int) { return q.get_async(); },
          [&](tq::AsyncResult<std::optional<std::int64_t>>& r) {
            if (r.get() != expected++) Fail("pipelined get: out of order or lost");
          });
      std::printf("impl=tq row=throughput op=%s n=%d window=%d calls_per_s=%.0f\n", op.c_str(), n,
                  window, 2 * n / (put_s + get_s));
    }
    d.drop();
    q.drop();
  } catch (const std::exception& e) {
    Fail(e.what());
  }
  return 0;
}
