// IdSlots against std::map on the patterns tqd produces: increasing ids,
// erasures in any order, ids restored with gaps; and its memory: a chunk
// goes with its last value, and every value is destroyed once.
#include "id_slots.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <random>
#include <string>

namespace tq::daemon {
namespace {

TEST(IdSlotsTest, FindEraseAndSizeAgreeWithStdMap) {
  IdSlots<std::string> slots;
  std::map<std::uint64_t, std::string> want;
  std::mt19937_64 rng(11);
  std::uint64_t next = 1;
  for (int step = 0; step < 100000; ++step) {
    const int op = static_cast<int>(rng() % 10);
    if (op < 5) {  // a new task
      const std::string v = "task " + std::to_string(next) + std::string(rng() % 40, 'x');
      slots[next] = v;
      want[next++] = v;
    } else if (op < 9 && !want.empty()) {  // one goes, oldest first mostly
      auto it = want.begin();
      std::advance(it, static_cast<long>(rng() % std::min<std::size_t>(want.size(), 200)));
      EXPECT_TRUE(slots.erase(it->first));
      EXPECT_FALSE(slots.erase(it->first));
      want.erase(it);
    } else {  // a lookup of any id, live or not
      const std::uint64_t id = rng() % (next + 10);
      const std::string* got = slots.find(id);
      auto w = want.find(id);
      ASSERT_EQ(got != nullptr, w != want.end()) << id;
      if (got != nullptr) {
        EXPECT_EQ(*got, w->second);
      }
    }
    ASSERT_EQ(slots.size(), want.size());
  }
}

TEST(IdSlotsTest, RestoredIdsWithGapsAreEachFoundAndNothingBetween) {
  IdSlots<int> slots;
  const std::uint64_t ids[] = {7, 3, 1'000'000, 65, 64, 63, 1ull << 40, 2};
  for (std::uint64_t id : ids) slots[id] = static_cast<int>(id % 1000);
  for (std::uint64_t id : ids) {
    ASSERT_NE(slots.find(id), nullptr) << id;
    EXPECT_EQ(*slots.find(id), static_cast<int>(id % 1000));
  }
  for (std::uint64_t id : {0ull, 1ull, 4ull, 62ull, 66ull, 999'999ull, (1ull << 40) + 1}) {
    EXPECT_EQ(slots.find(id), nullptr) << id;
  }
  // Chunks for 0-63, 64-127, the millionth and 2^40: not the span between.
  EXPECT_EQ(slots.chunks(), 4u);
}

TEST(IdSlotsTest, ForEachVisitsEachLiveValueOnce) {
  IdSlots<std::uint64_t> slots;
  for (std::uint64_t id = 1; id <= 1000; ++id) slots[id] = id;
  for (std::uint64_t id = 1; id <= 1000; id += 3) slots.erase(id);
  std::map<std::uint64_t, int> seen;
  slots.for_each([&](const std::uint64_t& v) { ++seen[v]; });
  EXPECT_EQ(seen.size(), slots.size());
  for (const auto& [v, n] : seen) {
    EXPECT_EQ(n, 1) << v;
    EXPECT_NE(v % 3, 1u) << v;
  }
}

TEST(IdSlotsTest, ValuesKeepTheirAddressWhileOthersComeAndGo) {
  IdSlots<std::string> slots;
  std::string* first = &slots[1];
  *first = "first";
  for (std::uint64_t id = 2; id < 10000; ++id) slots[id] = "other";
  for (std::uint64_t id = 2; id < 10000; id += 2) slots.erase(id);
  EXPECT_EQ(slots.find(1), first);
  EXPECT_EQ(*first, "first");
}

TEST(IdSlotsTest, AChunkIsFreedWithItsLastValueAndEachValueDestroyedOnce) {
  auto alive = std::make_shared<int>(0);
  struct Counted {
    std::shared_ptr<int> n;
    Counted() = default;
    ~Counted() {
      if (n) --*n;
    }
  };
  {
    IdSlots<Counted> slots;
    for (std::uint64_t id = 0; id < 640; ++id) {
      slots[id].n = alive;
      ++*alive;
    }
    EXPECT_EQ(slots.chunks(), 10u);
    // Any order: from the back, then odd ids, then the rest.
    for (std::uint64_t id = 639; id >= 600; --id) slots.erase(id);
    for (std::uint64_t id = 1; id < 600; id += 2) slots.erase(id);
    EXPECT_EQ(*alive, 300);
    EXPECT_EQ(slots.chunks(), 10u);  // 600-639 share a chunk with 576-599
    for (std::uint64_t id = 0; id < 600; id += 2) slots.erase(id);
    EXPECT_EQ(*alive, 0);
    EXPECT_EQ(slots.chunks(), 0u);
    EXPECT_TRUE(slots.empty());
    // Values left at destruction are destroyed too.
    for (std::uint64_t id = 5; id < 300; id += 7) {
      slots[id].n = alive;
      ++*alive;
    }
  }
  EXPECT_EQ(*alive, 0);
}

}  // namespace
}  // namespace tq::daemon
