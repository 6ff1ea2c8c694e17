// IdSet against std::set on the patterns tqd produces: increasing ids,
// removals in any order, old ids coming back (retries, kicks).
#include "id_set.h"

#include <gtest/gtest.h>

#include <random>
#include <set>

namespace tq::daemon {
namespace {

TEST(IdSetTest, InsertEraseAndContainsAgreeWithStdSet) {
  IdSet ids;
  std::set<std::uint64_t> want;
  std::mt19937_64 rng(7);
  std::uint64_t next = 1;
  for (int step = 0; step < 200000; ++step) {
    const int op = static_cast<int>(rng() % 10);
    if (op < 5) {  // a new task
      EXPECT_TRUE(ids.insert(next));
      want.insert(next++);
    } else if (op < 9 && !want.empty()) {  // one ends, oldest first mostly
      auto it = want.begin();
      std::advance(it, static_cast<long>(rng() % std::min<std::size_t>(want.size(), 50)));
      EXPECT_TRUE(ids.erase(*it));
      EXPECT_FALSE(ids.erase(*it));
      want.erase(it);
    } else if (next > 1000) {  // an old id queued again
      const std::uint64_t old = next - 1 - rng() % 1000;
      EXPECT_EQ(ids.insert(old), want.insert(old).second);
    }
    ASSERT_EQ(ids.size(), want.size());
  }
  for (std::uint64_t id = 0; id < next + 100; ++id) {
    ASSERT_EQ(ids.contains(id), want.contains(id)) << id;
  }
}

TEST(IdSetTest, EmptiesCompletelyAndStartsAgainAnywhere) {
  IdSet ids;
  EXPECT_FALSE(ids.contains(0));
  EXPECT_FALSE(ids.erase(5));
  for (std::uint64_t id = 1000; id < 1200; ++id) EXPECT_TRUE(ids.insert(id));
  EXPECT_FALSE(ids.insert(1100));
  for (std::uint64_t id = 1000; id < 1200; ++id) EXPECT_TRUE(ids.erase(id));
  EXPECT_EQ(ids.size(), 0u);
  EXPECT_TRUE(ids.insert(3));  // below where it was
  EXPECT_TRUE(ids.insert(3 + 1000000));  // a million ids later: 16 KB of bits
  EXPECT_TRUE(ids.contains(3));
  EXPECT_TRUE(ids.erase(3));
  EXPECT_TRUE(ids.contains(3 + 1000000));
  EXPECT_FALSE(ids.contains(3));
}

}  // namespace
}  // namespace tq::daemon
