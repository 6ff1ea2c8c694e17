// tq-codec-bench: Google Benchmark micro-benchmarks of what every task costs
// in tq_proto, whatever the transport: the msgpack codec of the messages on
// a task's path (submit, task frame, worker result, client result) and the
// pipe FrameReader on a stream of many small frames.
//
// A task's path: client Encode(SubmitRequest) -> tqd DecodeClient ->
// tqd Encode(TaskAssignment) in a pipe frame -> worker DecodeTask -> worker
// Encode(WorkerResult) -> tqd FrameReader + DecodeFromWorker -> tqd
// Encode(Accepted), Encode(TaskResult) -> client DecodeDaemon (twice).
// The arguments are those of inc(42): the msgpack array [42].
//
//   build-bench/bin/tq-codec-bench [--benchmark_min_time=0.2]
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "tq/proto/codec.h"
#include "tq/proto/framing.h"

namespace {

using namespace tq::proto;

constexpr std::string_view kArgs = "\x91\x2a";  // [42]
constexpr std::string_view kValue = "\x2b";     // 43

SubmitRequest Submit() {
  SubmitRequest m;
  m.request_id = 123456;
  m.fn = "inc";
  m.args = kArgs;
  return m;
}

TaskAssignment Task() { return TaskAssignment{.task_id = 987654, .fn = "inc", .args = kArgs}; }

WorkerResult FromWorker() {
  WorkerResult m;
  m.task_id = 987654;
  m.state = TaskState::kDone;
  m.value = kValue;
  return m;
}

TaskResult ToClient() {
  TaskResult m;
  m.request_id = 123456;
  m.task_id = 987654;
  m.state = TaskState::kDone;
  m.attempts = 1;
  m.value = kValue;
  return m;
}

template <typename M>
std::string Encoded(const M& m) {
  Buffer b;
  Encode(m, b);
  return b.Take();
}

void Require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "codec_bench: %s\n", what);
    std::abort();
  }
}

// ---- encode ----------------------------------------------------------------

template <typename M>
void EncodeLoop(benchmark::State& state, const M& m) {
  Buffer b;
  for (auto _ : state) {
    b.clear();
    Encode(m, b);
    benchmark::DoNotOptimize(b.data());
  }
  state.counters["bytes"] = static_cast<double>(b.size());
  state.SetItemsProcessed(state.iterations());
}

void BM_EncodeSubmit(benchmark::State& state) { EncodeLoop(state, Submit()); }
void BM_EncodeAccepted(benchmark::State& state) {
  EncodeLoop(state, Accepted{.request_id = 123456, .task_id = 987654});
}
void BM_EncodeTaskResult(benchmark::State& state) { EncodeLoop(state, ToClient()); }
void BM_EncodeWorkerResult(benchmark::State& state) { EncodeLoop(state, FromWorker()); }

// tqd's way of writing a task to a worker: header, map, length patched in.
void BM_EncodeTaskFrame(benchmark::State& state) {
  const TaskAssignment m = Task();
  Buffer b;
  for (auto _ : state) {
    b.clear();
    const std::size_t start = BeginFrame(b);
    Encode(m, b);
    EndFrame(b, start);
    benchmark::DoNotOptimize(b.data());
  }
  state.counters["bytes"] = static_cast<double>(b.size());
  state.SetItemsProcessed(state.iterations());
}

// ---- decode ----------------------------------------------------------------

void BM_DecodeSubmit(benchmark::State& state) {
  const std::string frame = Encoded(Submit());
  Decoder d;
  for (auto _ : state) {
    auto r = d.DecodeClient(frame);
    Require(r.ok(), "submit does not decode");
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_DecodeTask(benchmark::State& state) {
  const std::string frame = Encoded(Task());
  Decoder d;
  for (auto _ : state) {
    auto r = d.DecodeTask(frame);
    Require(r.ok(), "task does not decode");
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_DecodeWorkerResult(benchmark::State& state) {
  const std::string frame = Encoded(FromWorker());
  Decoder d;
  for (auto _ : state) {
    auto r = d.DecodeFromWorker(frame);
    Require(r.ok(), "worker result does not decode");
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_DecodeAccepted(benchmark::State& state) {
  const std::string frame = Encoded(Accepted{.request_id = 123456, .task_id = 987654});
  Decoder d;
  for (auto _ : state) {
    auto r = d.DecodeDaemon(frame);
    Require(r.ok(), "accepted does not decode");
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_DecodeTaskResult(benchmark::State& state) {
  const std::string frame = Encoded(ToClient());
  Decoder d;
  for (auto _ : state) {
    auto r = d.DecodeDaemon(frame);
    Require(r.ok(), "result does not decode");
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}

// ---- framing -----------------------------------------------------------------

// A stream of `frames` worker results, each a framed msgpack map.
std::string ResultStream(std::size_t frames) {
  Buffer b;
  for (std::size_t i = 0; i < frames; ++i) {
    const std::size_t start = BeginFrame(b);
    WorkerResult m = FromWorker();
    m.task_id = i + 1;
    Encode(m, b);
    EndFrame(b, start);
  }
  return b.Take();
}

// Where each frame of a stream starts, and its end.
std::vector<std::size_t> FrameStarts(std::string_view stream) {
  std::vector<std::size_t> starts;
  for (std::size_t at = 0; at < stream.size();) {
    starts.push_back(at);
    const auto* p = reinterpret_cast<const unsigned char*>(stream.data() + at);
    at += kFrameHeaderBytes + ((std::size_t{p[0]} << 24) | (std::size_t{p[1]} << 16) |
                               (std::size_t{p[2]} << 8) | std::size_t{p[3]});
  }
  starts.push_back(stream.size());
  return starts;
}

// Many small frames arriving in read()-sized pieces (tqd reads up to 64 KiB
// from a worker pipe): Prepare, copy in as read() would, Commit, Pop them.
// Arg: bytes per read; 0 = exactly one frame per read (a worker's result
// read as soon as it is written, the usual case).
void BM_FrameReaderManySmallFrames(benchmark::State& state) {
  constexpr std::size_t kFrames = 4096;
  const std::string stream = ResultStream(kFrames);
  const std::vector<std::size_t> starts = FrameStarts(stream);
  const auto chunk = static_cast<std::size_t>(state.range(0));
  FrameReader reader(64 << 20);
  for (auto _ : state) {
    std::size_t popped = 0, frame_index = 0;
    for (std::size_t at = 0; at < stream.size();) {
      const std::size_t n = chunk == 0 ? starts[++frame_index] - at
                                       : std::min(chunk, stream.size() - at);
      std::size_t capacity = 0;
      char* space = reader.Prepare(64 * 1024, &capacity);
      std::memcpy(space, stream.data() + at, n);
      reader.Commit(n);
      at += n;
      std::string_view frame;
      while (reader.Pop(&frame) == FrameReader::Next::kFrame) {
        benchmark::DoNotOptimize(frame.data());
        ++popped;
      }
    }
    Require(popped == kFrames, "frames lost");
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kFrames));
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(stream.size()));
}

// The same, each frame also decoded: what tqd does per worker result.
void BM_FrameReaderAndDecodeResults(benchmark::State& state) {
  constexpr std::size_t kFrames = 4096;
  const std::string stream = ResultStream(kFrames);
  FrameReader reader(64 << 20);
  Decoder d;
  for (auto _ : state) {
    std::size_t at = 0;
    while (at < stream.size()) {
      const std::size_t n = std::min<std::size_t>(64 * 1024, stream.size() - at);
      std::size_t capacity = 0;
      char* space = reader.Prepare(64 * 1024, &capacity);
      std::memcpy(space, stream.data() + at, n);
      reader.Commit(n);
      at += n;
      std::string_view frame;
      while (reader.Pop(&frame) == FrameReader::Next::kFrame) {
        auto r = d.DecodeFromWorker(frame);
        Require(r.ok(), "worker result does not decode");
        benchmark::DoNotOptimize(r);
      }
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kFrames));
}

}  // namespace

BENCHMARK(BM_EncodeSubmit);
BENCHMARK(BM_DecodeSubmit);
BENCHMARK(BM_EncodeTaskFrame);
BENCHMARK(BM_DecodeTask);
BENCHMARK(BM_EncodeWorkerResult);
BENCHMARK(BM_DecodeWorkerResult);
BENCHMARK(BM_EncodeAccepted);
BENCHMARK(BM_DecodeAccepted);
BENCHMARK(BM_EncodeTaskResult);
BENCHMARK(BM_DecodeTaskResult);
// 0: one frame per read; 7: frames split across reads; 4 KiB and 64 KiB: a
// backlog of results read together.
BENCHMARK(BM_FrameReaderManySmallFrames)->Arg(0)->Arg(7)->Arg(4096)->Arg(64 * 1024);
BENCHMARK(BM_FrameReaderAndDecodeResults);
