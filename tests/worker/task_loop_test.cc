// TaskLoop through two pipes, as tqd drives it but without tqd: the hello
// frame, decoding task frames, running registered functions, result and
// error frames (exception types, clean texts, size limit), chunks,
// progress framing, tasks sent ahead (prefetch, drop), and how the loop
// ends.
#include "worker/task_loop.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <msgpack.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "base/fd.h"
#include "tq/proto/codec.h"
#include "tq/proto/framing.h"
#include "testing/wait_for.h"
#include "tq/worker/task.h"

namespace tq::worker {
namespace {

// What one frame from the loop said, copied out of the frame.
struct Frame {
  enum class Kind { kHello, kResult, kProgress, kDropped } kind;
  std::uint32_t pid = 0;               // hello
  bool prefetch = false;               // hello
  std::vector<std::string> functions;  // hello
  std::uint64_t task_id = 0;           // result, progress, dropped
  std::uint64_t run_ns = 0;            // result
  bool failed = false;                 // result
  std::string value;                   // result: msgpack bytes
  std::string type, message;           // result when failed; progress text
  double done = 0, total = 0;          // progress
};

std::string Pack(const msgpack::sbuffer& b) {
  return std::string(b.data(), b.size());
}
template <typename... T>
std::string ArgsOf(const T&... args) {
  msgpack::sbuffer b;
  msgpack::pack(b, std::make_tuple(args...));
  return Pack(b);
}

// Expects `r` to be a failed result with this error.
void ExpectFailed(const Frame& r, const std::string& type,
                  const std::string& message) {
  EXPECT_TRUE(r.failed);
  EXPECT_EQ(r.type, type);
  EXPECT_EQ(r.message, message);
}

class TaskLoopTest : public ::testing::Test {
 protected:
  void SetUp() override {
    registry_.add("square", [](long x) { return x * x; });
    registry_.add("boom",
                  [](long) -> long { throw std::invalid_argument("no good"); });
    registry_.add("typed_error",
                  []() -> bool { throw TaskError("ValueError", "bad value"); });
    registry_.add("throw_int", []() -> bool { throw 7; });
    registry_.add("say",
                  [](std::string s) -> bool { throw std::runtime_error(s); });
    registry_.add("bytes", [](long n) { return std::string(n, 'x'); });
    registry_.add_raw("nothing", [](std::string_view, Output&) {});
    // Runs until the test lets it go: what is sent behind it waits.
    registry_.add("hold", [this] {
      holding_ = true;
      while (!released_) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      return true;
    });
    registry_.add("steps", [](long n) {
      for (long i = 1; i <= n; ++i) {
        tq::progress(static_cast<double>(i), static_cast<double>(n),
                     "step " + std::to_string(i));
      }
      return n;
    });
  }

  void TearDown() override {
    tasks_.write.Close();  // EOF: the loop returns
    if (thread_.joinable()) thread_.join();
  }

  // Starts the loop on its own thread, as tq-worker runs it on its main one.
  void Start(proto::Limits limits = {}) {
    auto tasks = base::Pipe::Create();
    auto results = base::Pipe::Create();
    ASSERT_TRUE(tasks.ok() && results.ok());
    tasks_ = std::move(*tasks);
    results_ = std::move(*results);
    loop_.emplace(registry_, limits, tasks_.read.get(), results_.write.get());
    registry_.set_host(&*loop_);
    thread_ = std::thread([this] { exit_code_ = loop_->Run(); });
  }

  // The exit code Run() returned, once it has.
  int Ended() {
    thread_.join();
    return exit_code_;
  }

  void Send(std::string_view bytes) {
    ASSERT_EQ(::write(tasks_.write.get(), bytes.data(), bytes.size()),
              static_cast<ssize_t>(bytes.size()));
  }
  static std::string TaskFrame(std::uint64_t id, std::string_view fn,
                               std::string_view args, bool chunk = false) {
    proto::Buffer b;
    const std::size_t start = proto::BeginFrame(b);
    proto::Encode(proto::TaskAssignment{id, fn, args, chunk}, b);
    proto::EndFrame(b, start);
    return std::string(b.view());
  }
  void SendTask(std::uint64_t id, std::string_view fn, std::string_view args,
                bool chunk = false) {
    Send(TaskFrame(id, fn, args, chunk));
  }
  void SendDrop(std::uint64_t id) {
    proto::Buffer b;
    const std::size_t start = proto::BeginFrame(b);
    proto::Encode(proto::TaskDrop{id}, b);
    proto::EndFrame(b, start);
    Send(b.view());
  }

  // The next frame the loop wrote; nullopt at EOF or after 20 s.
  std::optional<Frame> Next() {
    std::string_view payload;
    while (reader_.Pop(&payload) != proto::FrameReader::Next::kFrame) {
      pollfd p{results_.read.get(), POLLIN, 0};
      if (::poll(&p, 1, 20000) != 1) return std::nullopt;
      std::size_t capacity = 0;
      char* space = reader_.Prepare(4096, &capacity);
      const ssize_t n = ::read(results_.read.get(), space, capacity);
      if (n <= 0) return std::nullopt;
      reader_.Commit(static_cast<std::size_t>(n));
    }
    proto::Result<proto::WorkerMessage> m = decoder_.DecodeFromWorker(payload);
    EXPECT_TRUE(m.ok()) << m.status().ToString();
    if (!m.ok()) return std::nullopt;
    Frame f;
    if (auto* h = std::get_if<proto::WorkerHello>(&*m)) {
      f.kind = Frame::Kind::kHello;
      f.pid = h->pid;
      f.functions.assign(h->functions.begin(), h->functions.end());
      f.prefetch = h->prefetch;
    } else if (auto* d = std::get_if<proto::TaskDropped>(&*m)) {
      f.kind = Frame::Kind::kDropped;
      f.task_id = d->task_id;
    } else if (auto* r = std::get_if<proto::WorkerResult>(&*m)) {
      f.kind = Frame::Kind::kResult;
      f.task_id = r->task_id;
      f.failed = r->state == proto::TaskState::kFailed;
      f.value = r->value;
      f.type = r->error.type;
      f.message = r->error.message;
      f.run_ns = r->run_ns;
    } else {
      const auto& p = std::get<proto::TaskProgress>(*m);
      f.kind = Frame::Kind::kProgress;
      f.task_id = p.task_id;
      f.done = p.done;
      f.total = p.total;
      f.message = p.message;
    }
    return f;
  }

  // Starts the loop and reads its hello.
  void StartPastHello(proto::Limits limits = {}) {
    Start(limits);
    std::optional<Frame> hello = Next();
    ASSERT_TRUE(hello);
    ASSERT_EQ(hello->kind, Frame::Kind::kHello);
  }

  // The result of task `id`, skipping progress frames.
  Frame ResultOf(std::uint64_t id) {
    for (;;) {
      std::optional<Frame> f = Next();
      if (!f) {
        ADD_FAILURE() << "no result for task " << id;
        return {};
      }
      if (f->kind == Frame::Kind::kProgress) continue;
      EXPECT_EQ(f->kind, Frame::Kind::kResult);
      EXPECT_EQ(f->task_id, id);
      return *f;
    }
  }

  template <typename T>
  static T ValueOf(const Frame& f) {
    msgpack::object_handle oh = msgpack::unpack(f.value.data(), f.value.size());
    return oh.get().as<T>();
  }

  Registry registry_;
  base::Pipe tasks_, results_;
  std::optional<TaskLoop> loop_;
  std::thread thread_;
  int exit_code_ = -1;
  std::atomic<bool> holding_{false};   // `hold` runs
  std::atomic<bool> released_{false};  // `hold` returns
  proto::FrameReader reader_{64 << 20};
  proto::Decoder decoder_;
};

TEST_F(TaskLoopTest, SaysHelloWithItsPidAndEveryFunctionItOffers) {
  Start();
  std::optional<Frame> hello = Next();
  ASSERT_TRUE(hello);
  ASSERT_EQ(hello->kind, Frame::Kind::kHello);
  EXPECT_EQ(hello->pid, static_cast<std::uint32_t>(::getpid()));
  EXPECT_EQ(hello->functions, registry_.names());
}

TEST_F(TaskLoopTest, RunsARegisteredFunctionAndReturnsItsValue) {
  StartPastHello();
  SendTask(7, "square", ArgsOf(12L));
  const Frame r = ResultOf(7);
  EXPECT_FALSE(r.failed);
  EXPECT_EQ(ValueOf<long>(r), 144);
}

TEST_F(TaskLoopTest, AnswersTasksSentTogetherInTheirOrder) {
  StartPastHello();
  Send(TaskFrame(1, "square", ArgsOf(2L)) + TaskFrame(2, "square", ArgsOf(3L)) +
       TaskFrame(3, "square", ArgsOf(4L)));
  EXPECT_EQ(ValueOf<long>(ResultOf(1)), 4);
  EXPECT_EQ(ValueOf<long>(ResultOf(2)), 9);
  EXPECT_EQ(ValueOf<long>(ResultOf(3)), 16);
}

TEST_F(TaskLoopTest, FailsAnUnknownFunctionAndGoesOn) {
  StartPastHello();
  SendTask(1, "nope", "");
  ExpectFailed(ResultOf(1), "tq.UnknownFunction",
               "this worker has no function 'nope'");
  SendTask(2, "square", ArgsOf(5L));
  EXPECT_EQ(ValueOf<long>(ResultOf(2)), 25);
}

TEST_F(TaskLoopTest, ReportsTheTypeAndMessageOfWhatATaskThrew) {
  StartPastHello();
  SendTask(1, "boom", ArgsOf(1L));
  SendTask(2, "typed_error", "");
  SendTask(3, "throw_int", "");
  SendTask(4, "square", ArgsOf(std::string("seven")));
  ExpectFailed(ResultOf(1), "std::invalid_argument", "no good");
  ExpectFailed(ResultOf(2), "ValueError", "bad value");
  ExpectFailed(ResultOf(3), "int", "exception of non-standard type int");
  ExpectFailed(ResultOf(4), "tq.BadArguments",
               "argument 1 has the wrong type (got str)");
}

TEST_F(TaskLoopTest, MakesErrorTextsValidUtf8AndCutsThemToTheLimit) {
  StartPastHello();
  SendTask(1, "say", ArgsOf(std::string("bad \xff byte, good \xc3\xa9")));
  EXPECT_EQ(ResultOf(1).message, "bad ? byte, good \xc3\xa9");
  // A long text of two-byte characters is cut between characters.
  std::string long_text;
  for (std::size_t i = 0; i < proto::kMaxErrorTextBytes; ++i)
    long_text += "\xc3\xa9";
  SendTask(2, "say", ArgsOf(long_text));
  const std::string cut = ResultOf(2).message;
  EXPECT_LE(cut.size(), proto::kMaxErrorTextBytes);
  ASSERT_TRUE(cut.ends_with("\xc3\xa9 [truncated]"))
      << cut.substr(cut.size() - 20);
}

TEST_F(TaskLoopTest, FailsAResultOverTheLimitWithoutSendingIt) {
  proto::Limits limits;
  limits.max_result_bytes = 100;
  StartPastHello(limits);
  SendTask(1, "bytes", ArgsOf(50L));
  EXPECT_EQ(ValueOf<std::string>(ResultOf(1)), std::string(50, 'x'));
  SendTask(2, "bytes", ArgsOf(200L));
  // 200 bytes of str and its 2-byte str8 header.
  ExpectFailed(ResultOf(2), "tq.ResultTooLarge",
               "result is 202 bytes; the limit is 100");
}

TEST_F(TaskLoopTest, ARawTaskThatWritesNothingReturnsNil) {
  StartPastHello();
  SendTask(1, "nothing", "");
  const Frame r = ResultOf(1);
  EXPECT_FALSE(r.failed);
  EXPECT_EQ(r.value, "\xc0");
}

TEST_F(TaskLoopTest, RunsAChunkItemByItemSoOneFailureCostsOnlyItsItem) {
  StartPastHello();
  msgpack::sbuffer b;
  msgpack::packer<msgpack::sbuffer> p(b);
  p.pack_array(3);
  p.pack(std::make_tuple(2L));
  p.pack(std::make_tuple(std::string("x")));
  p.pack(std::make_tuple(3L));
  SendTask(1, "square", Pack(b), /*chunk=*/true);
  const Frame r = ResultOf(1);
  ASSERT_FALSE(r.failed) << r.message;
  msgpack::object_handle oh = msgpack::unpack(r.value.data(), r.value.size());
  const msgpack::object& items = oh.get();
  ASSERT_EQ(items.type, msgpack::type::ARRAY);
  ASSERT_EQ(items.via.array.size, 3u);
  using Ok = std::tuple<int, long>;
  using Err = std::tuple<int, std::string, std::string>;
  EXPECT_EQ(items.via.array.ptr[0].as<Ok>(), Ok(0, 4));
  EXPECT_EQ(
      items.via.array.ptr[1].as<Err>(),
      Err(1, "tq.BadArguments", "argument 1 has the wrong type (got str)"));
  EXPECT_EQ(items.via.array.ptr[2].as<Ok>(), Ok(0, 9));
}

TEST_F(TaskLoopTest, RunsNothingOfAMalformedChunk) {
  StartPastHello();
  SendTask(1, "square", ArgsOf(2L, 3L).substr(0, 2), /*chunk=*/true);
  ExpectFailed(ResultOf(1), "tq.BadArguments",
               "a chunk's args must be one array of argument arrays");
}

TEST_F(TaskLoopTest, SendsProgressOfTheRunningTaskBeforeItsResult) {
  StartPastHello();
  SendTask(9, "steps", ArgsOf(3L));
  // The first update goes out at once and the last always does; those
  // between may be dropped by the 50 ms rate limit.
  std::optional<Frame> f = Next();
  ASSERT_TRUE(f);
  ASSERT_EQ(f->kind, Frame::Kind::kProgress);
  EXPECT_EQ(f->task_id, 9u);
  EXPECT_EQ(f->done, 1);
  EXPECT_EQ(f->total, 3);
  EXPECT_EQ(f->message, "step 1");
  std::optional<Frame> last;
  for (f = Next(); f && f->kind == Frame::Kind::kProgress; f = Next()) {
    EXPECT_EQ(f->task_id, 9u);
    last = f;
  }
  ASSERT_TRUE(last);
  EXPECT_EQ(last->done, 3);
  EXPECT_EQ(last->message, "step 3");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->kind, Frame::Kind::kResult);
  EXPECT_EQ(ValueOf<long>(*f), 3);
}

TEST_F(TaskLoopTest, IgnoresProgressOutsideATask) {
  StartPastHello();
  tq::progress(1, 2, "between tasks");
  SendTask(1, "square", ArgsOf(3L));
  const std::optional<Frame> f = Next();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->kind, Frame::Kind::kResult);
}

TEST_F(TaskLoopTest, EndsWithZeroAtEndOfInput) {
  StartPastHello();
  SendTask(1, "square", ArgsOf(3L));
  EXPECT_EQ(ValueOf<long>(ResultOf(1)), 9);
  tasks_.write.Close();
  EXPECT_EQ(Ended(), 0);
}

TEST_F(TaskLoopTest, EndsWithThreeOnAFrameThatIsNotATask) {
  StartPastHello();
  proto::Buffer b;
  const std::size_t start = proto::BeginFrame(b);
  b.write("\x81\xa1v\x01", 4);  // {"v": 1}: no kind
  proto::EndFrame(b, start);
  Send(b.view());
  EXPECT_EQ(Ended(), 3);
}

TEST_F(TaskLoopTest, EndsWithThreeOnAFrameOverTheLimit) {
  proto::Limits limits;
  limits.max_message_bytes = 1024;
  StartPastHello(limits);
  Send(std::string("\x00\x00\x10\x00", 4));  // 4096 bytes announced
  EXPECT_EQ(Ended(), 3);
}

TEST_F(TaskLoopTest, EndsWithZeroOnceTheResultPipeHasNoReader) {
  // tq-worker ignores SIGPIPE, so a write to a gone tqd fails with EPIPE.
  struct sigaction ignore = {}, old = {};
  ignore.sa_handler = SIG_IGN;
  ASSERT_EQ(::sigaction(SIGPIPE, &ignore, &old), 0);
  StartPastHello();
  results_.read.Close();
  SendTask(1, "square", ArgsOf(3L));
  EXPECT_EQ(Ended(), 0);
  ::sigaction(SIGPIPE, &old, nullptr);
}

// ---- tasks sent ahead ----------------------------------------------------------

TEST_F(TaskLoopTest, SaysItTakesTasksSentAheadAndReportsHowLongEachRan) {
  Start();
  std::optional<Frame> hello = Next();
  ASSERT_TRUE(hello);
  EXPECT_TRUE(hello->prefetch);
  SendTask(1, "square", ArgsOf(3L));
  EXPECT_GT(ResultOf(1).run_ns, 0u);
}

TEST_F(TaskLoopTest, ADropOfATaskNotStartedIsAnsweredDroppedAndTheTaskNeverRuns) {
  StartPastHello();
  SendTask(1, "hold", ArgsOf());
  ASSERT_TRUE(testing::WaitFor([&] { return holding_.load(); }));
  SendTask(2, "say", ArgsOf(std::string("task 2 ran")));
  SendTask(3, "square", ArgsOf(4L));
  SendDrop(2);
  SendDrop(1);  // started: it goes on, and its result says so
  released_ = true;
  // The drop is answered as soon as it is read, maybe before 1 ends.
  std::vector<std::string> said;
  for (;;) {
    std::optional<Frame> f = Next();
    ASSERT_TRUE(f);
    said.push_back((f->kind == Frame::Kind::kDropped ? "dropped " : "result ") +
                   std::to_string(f->task_id));
    if (f->task_id == 3) {
      EXPECT_EQ(ValueOf<long>(*f), 16);
      break;
    }
  }
  std::sort(said.begin(), said.end() - 1);
  EXPECT_EQ(said, (std::vector<std::string>{"dropped 2", "result 1", "result 3"}));
}

TEST_F(TaskLoopTest, StartsNoTaskSentAheadOnceTqdIsGone) {
  struct sigaction ignore = {}, old = {};
  ignore.sa_handler = SIG_IGN;
  ASSERT_EQ(::sigaction(SIGPIPE, &ignore, &old), 0);
  std::atomic<int> runs{0};
  registry_.add("count", [&runs] { return ++runs; });
  StartPastHello();
  // One write, so one read takes both: 2 is queued behind 1 when tqd goes.
  Send(TaskFrame(1, "hold", ArgsOf()) + TaskFrame(2, "count", ArgsOf()));
  results_.read.Close();
  released_ = true;
  EXPECT_EQ(Ended(), 0);
  EXPECT_EQ(runs, 0);
  ::sigaction(SIGPIPE, &old, nullptr);
}

}  // namespace
}  // namespace tq::worker
