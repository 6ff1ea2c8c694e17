// Chunked maps (MapOptions::chunksize, PROTOCOL.md §4.9) against a real
// tqd: several inputs per task, each with its own value or error.
#include <gtest/gtest.h>
#include <tq/client.h>

#include <numeric>
#include <set>

#include "testing/tqd_process.h"

namespace tq {
namespace {

using testing::TqdOptions;
using testing::TqdProcess;

using testing::WithExamplePlugin;

class MapChunkTest : public ::testing::Test {
 protected:
  // Tasks that have ended done since tqd started.
  std::uint64_t DoneTasks() { return client_.stats().since_start.ended.done; }

  TqdProcess tqd_{WithExamplePlugin()};
  Client client_{tqd_.endpoint()};
};

TEST_F(MapChunkTest, ChunksGiveEveryInputItsOwnResultInOrderFromFewerTasks) {
  std::vector<long> xs(1000);
  std::iota(xs.begin(), xs.end(), -500);
  std::vector<long> want;
  for (long x : xs) want.push_back(x * x);

  const std::uint64_t before = DoneTasks();
  EXPECT_EQ(client_.map<long>("square", xs, {.window = 10, .chunksize = 7}), want);
  EXPECT_EQ(DoneTasks() - before, 143u);  // ceil(1000 / 7)

  // One per task, as before chunking existed.
  EXPECT_EQ(client_.map<long>("square", xs, {.chunksize = 1}), want);
  EXPECT_EQ(DoneTasks() - before, 1143u);

  // Auto: sized as the map goes (how many per task depends on the times
  // measured, so only the bounds are sure).
  EXPECT_EQ(client_.map<long>("square", xs), want);
  EXPECT_LT(DoneTasks() - before, 1143u + 1000u);
  EXPECT_GT(DoneTasks() - before, 1143u);
}

TEST_F(MapChunkTest, AutoChunksHoldMoreFastInputsThanSlowOnes) {
#if defined(TQ_SANITIZED)
  // Under ASan or TSan a task's round trip alone takes about the 3 ms a
  // chunk aims at, and the sizer counts that fixed cost as the inputs'
  // (ChunkSizer::per_item), so quick inputs stay a few to a task (1.4 and
  // 1.9 per task in two runs). The plain build, which CI runs too, checks
  // the contrast; the sizing itself is unit-tested on fake times.
  GTEST_SKIP() << "sanitizers make every task slower than a chunk's target";
#endif
  const std::vector<long> fast(20000, 3);
  std::uint64_t before = DoneTasks();
  EXPECT_EQ(client_.map<long>("square", fast), std::vector<long>(20000, 9));
  const double fast_per_task = 20000.0 / static_cast<double>(DoneTasks() - before);

  // 5 ms each, more than a chunk's 3 ms target: mostly one to a task.
  const std::vector<long> slow(60, 5);
  before = DoneTasks();
  EXPECT_EQ(client_.map<msgpack::type::nil_t>("sleep", slow).size(), 60u);
  const std::uint64_t slow_tasks = DoneTasks() - before;
  const double slow_per_task = 60.0 / static_cast<double>(slow_tasks);

  EXPECT_GE(slow_tasks, 30u);
  EXPECT_GT(fast_per_task, 4 * slow_per_task)
      << "fast: " << fast_per_task << " per task; slow: " << slow_per_task;
}

TEST_F(MapChunkTest, AutoChunkingKeepsOneInputPerTaskWhenATimeoutIsSet) {
  std::vector<long> xs(300, 3);
  const std::uint64_t before = DoneTasks();
  MapOptions options;
  options.submit.timeout = std::chrono::seconds(30);
  EXPECT_EQ(client_.map<long>("square", xs, options), std::vector<long>(300, 9));
  EXPECT_EQ(DoneTasks() - before, 300u);
}

TEST_F(MapChunkTest, AnItemThatThrowsFailsAloneAndItsNeighboursKeepTheirValues) {
  std::map<std::size_t, double> values;
  std::set<std::size_t> failed;
  for (const auto& item : client_.imap_unordered<double>(
           "checked_sqrt", std::vector<double>{4, -1, 9, -4, 16}, {.chunksize = 5})) {
    if (item.ok()) {
      values[item.index] = item.value();
      continue;
    }
    const auto* e = dynamic_cast<const RemoteError*>(item.error());
    ASSERT_NE(e, nullptr) << item.error()->what();
    EXPECT_EQ(e->state(), TaskState::kFailed);
    EXPECT_EQ(e->type(), "ValueError");
    EXPECT_EQ(e->message(), "math domain error");
    EXPECT_THROW(item.value(), RemoteError);
    failed.insert(item.index);
  }
  EXPECT_EQ(values, (std::map<std::size_t, double>{{0, 2}, {2, 3}, {4, 4}}));
  EXPECT_EQ(failed, (std::set<std::size_t>{1, 3}));
  // map throws the first failure.
  EXPECT_THROW(client_.map<double>("checked_sqrt", std::vector<double>{1, -1}, {.chunksize = 2}),
               RemoteError);
}

TEST_F(MapChunkTest, AValueOfTheWrongTypeFailsOnlyItsItem) {
  // echo returns its argument array: [x], not a string.
  auto results = client_.imap_unordered<std::vector<int>>("echo", std::vector<int>{1, 2},
                                                          {.chunksize = 2});
  auto first = results.next();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->value(), std::vector<int>{static_cast<int>(first->index) + 1});
  EXPECT_THROW(client_.map<std::string>("echo", std::vector<int>{1, 2}, {.chunksize = 2}),
               ResultTypeError);
}

TEST_F(MapChunkTest, AWorkerThatDiesLosesEveryItemOfItsChunk) {
  // crash takes no arguments: starmap of empty tuples.
  const std::vector<std::tuple<>> calls(3);
  try {
    client_.starmap<bool>("crash", calls, {.chunksize = 3});
    FAIL() << "a crashed chunk returned values";
  } catch (const RemoteError& e) {
    EXPECT_EQ(e.state(), TaskState::kLost);
  }
  // One task, lost once; the pool goes on.
  EXPECT_EQ(client_.stats().since_start.ended.lost, 1u);
  EXPECT_EQ(client_.apply<long>("square", 3), 9);
}

TEST_F(MapChunkTest, RawChunksOfTheWrongShapeAreBadArguments) {
  auto chunk = [&](std::string args) {
    return client_.raw()
        .Submit("square", args, {}, nullptr, 0, detail::ArgsShape::kChunk)
        .outcome();
  };
  // Claims two argument arrays, holds one: nothing runs.
  Outcome o = chunk(std::string("\x92\x91\x02", 3));
  EXPECT_EQ(o.state, TaskState::kFailed);
  EXPECT_EQ(o.error_type, "tq.BadArguments");
  // Elements that are not argument arrays: each item fails on its own.
  o = chunk(std::string("\x92\x91\x02\x03", 4));
  ASSERT_TRUE(o.ok()) << o.message;
  // [[0, 4], [1, "tq.BadArguments", "..."]]
  msgpack::object_handle oh = msgpack::unpack(o.value.data(), o.value.size());
  const auto items = oh.get().as<std::vector<msgpack::object>>();
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ((items[0].as<std::tuple<int, long>>()), std::make_tuple(0, 4L));
  const auto bad = items[1].as<std::tuple<int, std::string, std::string>>();
  EXPECT_EQ(std::get<0>(bad), 1);
  EXPECT_EQ(std::get<1>(bad), "tq.BadArguments");
  // An empty chunk is an empty array.
  o = chunk(std::string("\x90", 1));
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o.value, std::string("\x90", 1));
}

}  // namespace
}  // namespace tq
