// StartLog on real files: what is appended is read back, a torn last entry
// and foreign bytes are ignored, and Rewrite keeps exactly what it is given.
#include "store/start_log.h"

#include <gtest/gtest.h>

#include <fstream>

#include "testing/temp_dir.h"

namespace tq::store {
namespace {

using Entries = std::set<StartLog::Entry>;

Entries ReadAll(const std::string& dir) {
  auto entries = StartLog::Read(dir);
  EXPECT_TRUE(entries.ok()) << entries.status().ToString();
  return entries.ok() ? *entries : Entries{};
}

TEST(StartLogTest, WhatIsAppendedIsReadBackAndCreateEmptiesIt) {
  testing::TempDir dir;
  EXPECT_EQ(ReadAll(dir.path()), Entries{});  // no file yet
  {
    auto log = StartLog::Create(dir.path());
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    ASSERT_TRUE(log->Append(7, 1).ok());
    ASSERT_TRUE(log->Append(1ull << 40, 3).ok());
    EXPECT_EQ(log->bytes(), 32u);
  }
  EXPECT_EQ(ReadAll(dir.path()), (Entries{{7, 1}, {1ull << 40, 3}}));
  auto again = StartLog::Create(dir.path());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(ReadAll(dir.path()), Entries{});
}

TEST(StartLogTest, ATornLastEntryAndBytesThatAreNoEntryAreIgnored) {
  testing::TempDir dir;
  {
    auto log = StartLog::Create(dir.path());
    ASSERT_TRUE(log->Append(5, 2).ok());
  }
  {
    std::ofstream out(dir.File("started"), std::ios::app | std::ios::binary);
    out << std::string(16, 'x') << std::string(7, '\1');  // garbage, then a torn entry
  }
  EXPECT_EQ(ReadAll(dir.path()), (Entries{{5, 2}}));
}

TEST(StartLogTest, RewriteKeepsExactlyTheEntriesGivenAndAppendsGoOnAfterThem) {
  testing::TempDir dir;
  auto log = StartLog::Create(dir.path());
  for (std::uint64_t id = 1; id <= 1000; ++id) ASSERT_TRUE(log->Append(id, 1).ok());
  ASSERT_TRUE(log->Rewrite({{500, 1}, {900, 2}}).ok());
  EXPECT_EQ(log->bytes(), 32u);
  ASSERT_TRUE(log->Append(1001, 1).ok());
  EXPECT_EQ(ReadAll(dir.path()), (Entries{{500, 1}, {900, 2}, {1001, 1}}));
}

}  // namespace
}  // namespace tq::store
