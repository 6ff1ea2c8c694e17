// WaiterList: one waiter inline, more in a vector; order kept throughout.
#include "waiter_list.h"

#include <gtest/gtest.h>

#include <vector>

namespace tq::daemon {
namespace {

std::vector<std::uint64_t> Ids(const WaiterList& list) {
  std::vector<std::uint64_t> ids;
  for (const Waiter& w : list) ids.push_back(w.request_id);
  return ids;
}

TEST(WaiterListTest, KeepsWaitersInTheOrderTheyCame) {
  WaiterList list;
  EXPECT_TRUE(list.empty());
  EXPECT_EQ(list.begin(), list.end());
  list.push_back({"a", 1});
  EXPECT_EQ(Ids(list), (std::vector<std::uint64_t>{1}));
  EXPECT_EQ(list.back().client, "a");
  list.push_back({"b", 2});
  list.push_back({"c", 3});
  EXPECT_EQ(list.size(), 3u);
  EXPECT_EQ(Ids(list), (std::vector<std::uint64_t>{1, 2, 3}));
  EXPECT_EQ(list.back().client, "c");
}

TEST(WaiterListTest, EraseIfRemovesOnlyTheMatchingWaiters) {
  WaiterList one;
  one.push_back({"a", 1});
  one.erase_if([](const Waiter& w) { return w.request_id == 2; });
  EXPECT_EQ(Ids(one), (std::vector<std::uint64_t>{1}));
  one.erase_if([](const Waiter& w) { return w.request_id == 1; });
  EXPECT_TRUE(one.empty());

  WaiterList many;
  for (std::uint64_t id : {1, 2, 3}) many.push_back({"x", id});
  many.erase_if([](const Waiter& w) { return w.request_id == 2; });
  EXPECT_EQ(Ids(many), (std::vector<std::uint64_t>{1, 3}));
  many.push_back({"x", 4});
  EXPECT_EQ(Ids(many), (std::vector<std::uint64_t>{1, 3, 4}));
}

TEST(WaiterListTest, ClearEmptiesAndTheListCanBeFilledAgain) {
  WaiterList list;
  list.push_back({"a", 1});
  list.push_back({"b", 2});
  list.clear();
  EXPECT_TRUE(list.empty());
  list.push_back({"c", 3});
  EXPECT_EQ(Ids(list), (std::vector<std::uint64_t>{3}));
}

}  // namespace
}  // namespace tq::daemon
