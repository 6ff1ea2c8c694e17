// tqd's named objects through libtq, against a real tqd whose workers run
// tasks that use the same objects: atomic counts under contention, a queue
// between producers and consumers, blocking calls, locks that outlive their
// holders, and the limits.
#include <gtest/gtest.h>
#include <tq/client.h>

#include <algorithm>
#include <atomic>
#include <future>
#include <mutex>
#include <numeric>
#include <thread>

#include "testing/tqd_process.h"
#include "testing/wait_for.h"

namespace tq {
namespace {

using namespace std::chrono_literals;
using testing::LibPath;
using testing::TqdOptions;
using testing::TqdProcess;

TqdOptions WithObjectTasks(int workers, std::vector<std::string> extra = {}) {
  TqdOptions o;
  o.workers = workers;
  o.extra_args = {"--plugin", LibPath("libtq_object_tasks.so")};
  o.extra_args.insert(o.extra_args.end(), extra.begin(), extra.end());
  return o;
}

class ObjectsTest : public ::testing::Test {
 protected:
  TqdProcess tqd_{WithObjectTasks(4)};
  Client client_{tqd_.endpoint()};
};

TEST_F(ObjectsTest, TenProcessesOfTenThousandIncrementsEachCountExactly) {
  std::vector<Process> procs;
  for (int i = 0; i < 10; ++i) {
    procs.push_back(client_.process("incr_many", std::string("counts"), std::string("n"), 10000));
  }
  for (Process& p : procs) p.start();
  for (Process& p : procs) {
    ASSERT_TRUE(p.join(120s));
    ASSERT_EQ(p.exitcode(), 0) << p.call().outcome().message;
  }
  auto counts = client_.dict<std::string, std::int64_t>("counts");
  EXPECT_EQ(counts.get("n"), 100000);
}

TEST_F(ObjectsTest, FourProducersAndFourConsumersConsumeEveryItemExactlyOnce) {
  constexpr int kPerProducer = 2500;
  constexpr int kItems = 4 * kPerProducer;
  std::vector<Process> producers;
  for (int i = 0; i < 4; ++i) {
    producers.push_back(
        client_.process("produce", std::string("work"), i * kPerProducer, kPerProducer));
    producers.back().start();
  }
  std::atomic<int> taken{0};
  std::mutex mu;
  std::vector<int> consumed;
  std::vector<std::thread> consumers;
  for (int c = 0; c < 4; ++c) {
    consumers.emplace_back([&] {
      Client mine(tqd_.endpoint());  // a connection of its own, as a process has
      auto q = mine.queue<int>("work");
      std::vector<int> got;
      while (taken.load() < kItems) {
        if (std::optional<int> item = q.get(100ms)) {
          got.push_back(*item);
          ++taken;
        }
      }
      std::lock_guard lock(mu);
      consumed.insert(consumed.end(), got.begin(), got.end());
    });
  }
  for (std::thread& t : consumers) t.join();
  for (Process& p : producers) ASSERT_TRUE(p.join(60s));
  std::sort(consumed.begin(), consumed.end());
  std::vector<int> all(kItems);
  std::iota(all.begin(), all.end(), 0);
  EXPECT_EQ(consumed, all);
  EXPECT_EQ(client_.queue<int>("work").size(), 0u);
}

TEST_F(ObjectsTest, ABlockingGetWakesOnThePutThatFollowsIt) {
  auto q = client_.queue<int>("wake");
  // One connection keeps its order: the get reaches tqd first and parks.
  AsyncResult<std::optional<int>> waiting = q.get_async();
  EXPECT_FALSE(waiting.wait(50ms));
  q.put(7);
  EXPECT_EQ(waiting.get(20s), 7);
}

TEST_F(ObjectsTest, ABlockingGetTimesOutWhenNothingComes) {
  auto q = client_.queue<int>("empty");
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(q.get(300ms), std::nullopt);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 300ms);
  EXPECT_EQ(q.get(0ms), std::nullopt);
}

TEST_F(ObjectsTest, ABoundedQueueMakesAPutWaitForRoom) {
  auto q = client_.queue<int>("bounded", 1);
  q.put(1);
  EXPECT_FALSE(q.put(2, 0ms));
  EXPECT_FALSE(q.put(2, 100ms));
  auto waiting = q.put_async(3);  // parks until the get makes room
  EXPECT_EQ(q.get(), 1);
  waiting.get(20s);
  EXPECT_EQ(q.get(), 3);
}

TEST_F(ObjectsTest, CompareAndSetUnderContentionLosesNoUpdate) {
  constexpr int kThreads = 4, kEach = 300;
  std::atomic<int> retries{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      Client mine(tqd_.endpoint());
      auto d = mine.dict<std::string, std::int64_t>("cas");
      for (int i = 0; i < kEach; ++i) {
        std::optional<std::int64_t> seen = d.get("n");
        while (!d.compare_and_set("n", seen, seen.value_or(0) + 1, &seen)) ++retries;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  auto cas = client_.dict<std::string, std::int64_t>("cas");
  EXPECT_EQ(cas.get("n"), kThreads * kEach);
  std::printf("compare-and-set retries under contention: %d\n", retries.load());
}

TEST_F(ObjectsTest, ADictKeepsInsertionOrderAndConvertsItsValues) {
  auto d = client_.dict<int, std::string>("m");
  for (int i = 0; i < 5000; ++i) d.set(i, "v" + std::to_string(i));  // more than one page
  EXPECT_TRUE(d.erase(0));
  EXPECT_EQ(d.size(), 4999u);
  const std::vector<int> keys = d.keys();
  ASSERT_EQ(keys.size(), 4999u);
  EXPECT_EQ(keys.front(), 1);
  EXPECT_EQ(keys.back(), 4999);
  EXPECT_EQ(d.items().back(), std::make_pair(4999, std::string("v4999")));
  EXPECT_EQ(d.setdefault(1, "other"), "v1");
  EXPECT_EQ(d.pop(1), "v1");
  EXPECT_EQ(d.get(1), std::nullopt);
  d.update(std::vector<std::pair<int, std::string>>{{-1, "a"}, {-2, "b"}});
  EXPECT_EQ(d.get(-2), "b");
  try {
    client_.dict<int, std::int64_t>("m").incr(2);
    FAIL() << "incr of a string";
  } catch (const RejectedError& e) {
    EXPECT_EQ(e.code(), "BAD_VALUE");
  }
  auto as_ints = client_.dict<int, int>("m");
  EXPECT_THROW((void)as_ints.get(2), ResultTypeError);
}

TEST_F(ObjectsTest, AListIndexesSlicesAndNamesAnIndexOutOfRange) {
  auto l = client_.list<std::string>("l");
  l.extend(std::vector<std::string>{"a", "b", "c"});
  EXPECT_EQ(l.append("d"), 4u);
  EXPECT_EQ(l.get(-1), "d");
  l.set(0, "A");
  EXPECT_EQ(l.slice(0, 2), (std::vector<std::string>{"A", "b"}));
  EXPECT_EQ(l.all(), (std::vector<std::string>{"A", "b", "c", "d"}));
  try {
    (void)l.get(9);
    FAIL() << "no index 9";
  } catch (const RejectedError& e) {
    EXPECT_EQ(e.code(), "NOT_FOUND");
    EXPECT_EQ(e.message(), "list 'l' has 4 items; there is no index 9");
  }
}

TEST_F(ObjectsTest, ALockIsMutualExclusionAcrossClientsAndWorksWithLockGuard) {
  Lock lock = client_.lock("guard");
  {
    std::lock_guard guard(lock);
    Client other(tqd_.endpoint());
    EXPECT_FALSE(other.lock("guard").try_lock());
    EXPECT_TRUE(lock.locked());
    EXPECT_THROW(other.lock("guard").release(), RejectedError);
  }
  EXPECT_FALSE(lock.locked());
  Semaphore two = client_.semaphore("two", 2);
  EXPECT_TRUE(two.acquire(0ms));
  EXPECT_TRUE(two.acquire(0ms));
  EXPECT_FALSE(two.acquire(0ms));
  two.release();
  EXPECT_EQ(two.value(), 1u);
  Event e = client_.event("go");
  EXPECT_FALSE(e.wait(10ms));
  e.set();
  EXPECT_TRUE(e.wait());
  EXPECT_TRUE(e.is_set());
}

TEST_F(ObjectsTest, ALockWhoseClientVanishesPassesToTheNextWaiterAsBroken) {
  auto holder = std::make_unique<Client>(tqd_.endpoint());
  ASSERT_TRUE(holder->lock("l").acquire());
  Lock mine = client_.lock("l");
  std::future<Acquired> next = std::async(std::launch::async, [&] { return mine.acquire(); });
  EXPECT_NE(next.wait_for(100ms), std::future_status::ready);
  holder.reset();  // its connection closes while it holds the lock
  ASSERT_EQ(next.wait_for(20s), std::future_status::ready);
  const Acquired got = next.get();
  EXPECT_TRUE(got.acquired);
  EXPECT_TRUE(got.broken);
}

TEST_F(ObjectsTest, ALockHeldByATaskThatDiesIsReleasedAndToldBroken) {
  Process p = client_.process("lock_and_crash", std::string("crashlock"));
  p.start();
  ASSERT_TRUE(p.join(30s));
  EXPECT_EQ(p.state(), TaskState::kLost);
  EXPECT_EQ(p.exitcode(), -6);  // SIGABRT
  const Acquired got = client_.lock("crashlock").acquire(20s);
  EXPECT_TRUE(got.acquired);
  EXPECT_TRUE(got.broken);
}

TEST_F(ObjectsTest, ALockATaskEndsHoldingIsReleasedWhenItEnds) {
  EXPECT_TRUE(client_.apply<bool>("lock_and_return", std::string("kept")));
  // The worker lives on, and so does its connection: the task's end let go.
  const Acquired got = client_.lock("kept").acquire(0ms);
  EXPECT_TRUE(got.acquired);
  EXPECT_TRUE(got.broken);
}

TEST_F(ObjectsTest, ParkedGetsOfAVanishedClientAreReleased) {
  {
    Client gone(tqd_.endpoint());
    ASSERT_TRUE(gone.lock("marker").acquire());
    auto q = gone.queue<int>("jobs");
    std::vector<AsyncResult<std::optional<int>>> parked;
    for (int i = 0; i < 3; ++i) parked.push_back(q.get_async());
    EXPECT_EQ(q.size(), 0u);  // after the gets, on the same connection: they are parked
  }
  // tqd let go of the lock, so it has dealt with the client's going.
  ASSERT_TRUE(client_.lock("marker").acquire(20s));
  Client producer(tqd_.endpoint());
  producer.queue<int>("jobs").put(42);
  EXPECT_EQ(client_.queue<int>("jobs").get(20s), 42);
}

TEST(ObjectLimitsTest, RefusesWhatIsBeyondTqdsLimitsWithNamedErrors) {
  TqdProcess tqd(WithObjectTasks(1, {"--max-objects", "3", "--max-object-bytes", "1KiB",
                                     "--max-waiting-per-client", "2"}));
  Client client(tqd.endpoint());
  auto code = [](auto&& call) {
    try {
      call();
    } catch (const RejectedError& e) {
      return e.code();
    }
    return std::string("no error");
  };
  EXPECT_EQ(code([&] { client.dict<std::string, std::string>("d").set("k", std::string(2000, 'x')); }),
            "OBJECT_FULL");
  client.event("1").set();
  client.event("2").set();
  client.event("3").set();
  EXPECT_EQ(code([&] { client.event("4").set(); }), "OBJECT_FULL");
  EXPECT_TRUE(client.event("1").drop());
  auto q = client.queue<int>("4");
  auto a = q.get_async(), b = q.get_async(), c = q.get_async();
  EXPECT_EQ(code([&] { (void)c.get(20s); }), "TOO_MANY_WAITING");
  q.put(1);
  q.put(2);
  EXPECT_EQ(a.get(20s), 1);
  EXPECT_EQ(b.get(20s), 2);
}

TEST(ObjectLimitsTest, APipeThatIsNotReadRefusesMoreThanItsBound) {
  TqdProcess tqd(WithObjectTasks(1, {"--max-pipe-bytes", "100"}));
  Client client(tqd.endpoint());
  // `sleep` never reads its pipe; what is sent waits in tqd until it runs.
  auto [p, chan] = client.process_with_pipe({.submit = {.delay = 60s}}, "sleep", 1);
  p.start();
  const RawResult first = client.raw().PipeSend(p.task_id(), detail::PackValue(std::string(80, 'x')));
  ASSERT_TRUE(first.outcome().ok()) << first.outcome().message;
  const RawResult second = client.raw().PipeSend(p.task_id(), detail::PackValue(std::string(80, 'x')));
  EXPECT_EQ(second.outcome().error_type, "PIPE_FULL");
  p.terminate();
}

}  // namespace
}  // namespace tq
