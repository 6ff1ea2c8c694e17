// The tasks the benchmarks run (tqd --plugin build-bench/lib/libtq_bench_tasks.so).
//
//   inc(x)      -> x + 1: the trivial task of the latency, throughput and
//                  map rows, as in bench/pool_bench.py
//   burn_us(n)  spins n µs of wall time (steady clock) on the CPU and returns
//                  the CPU time this thread actually got meanwhile, in µs
//                  (CLOCK_THREAD_CPUTIME_ID): a descheduled worker burns less
//                  than n, and the efficiency row counts what really ran
//   noop()      -> nil: the queued task of the RSS row
//   pipe_echo() sends back every integer of its pipe until the client
//                  closes it; how many (bench/objects, the pipe row)
//
// Each runs on the worker's main thread, one at a time; no shared state.
#include <tq/worker/task.h>

#include <time.h>

#include <chrono>
#include <cstdint>
#include <optional>

namespace {

double ThreadCpuMicros() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

double BurnMicros(std::int64_t micros) {
  const double cpu_start = ThreadCpuMicros();
  const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(micros);
  while (std::chrono::steady_clock::now() < until) {
  }
  return ThreadCpuMicros() - cpu_start;
}

}  // namespace

TQ_PLUGIN(registry) {
  registry.add("inc", [](std::int64_t x) { return x + 1; });
  registry.add("burn_us", [](std::int64_t micros) { return BurnMicros(micros); });
  registry.add("noop", [] {});
  registry.add("pipe_echo", [] {
    auto pipe = tq::worker::pipe();
    std::int64_t n = 0;
    while (std::optional<std::int64_t> m = pipe.recv<std::int64_t>()) {
      pipe.send(*m);
      ++n;
    }
    return n;
  });
}
