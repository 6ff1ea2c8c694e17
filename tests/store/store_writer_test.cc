// StoreWriter: batches committed on its thread, completions announced on
// an eventfd that the test polls the way tqd's loop will; failures
// reported, the writer carrying on; a full disk, real (tmpfs) or by the
// page limit, failing a commit that succeeds once there is room again.
#include "store/store_writer.h"

#include <gtest/gtest.h>
#include <poll.h>

#include <string>
#include <vector>

#include "store_testing.h"
#include "testing/temp_dir.h"
#include "tmpfs.h"

namespace tq::store {
namespace {

// Waits (up to 20 s) for completion_fd() to become readable.
bool Readable(const StoreWriter& writer, int timeout_ms = 20'000) {
  pollfd p{.fd = writer.completion_fd(), .events = POLLIN};
  return ::poll(&p, 1, timeout_ms) == 1 && (p.revents & POLLIN);
}

// The completion of the one batch in flight, waited for on the eventfd.
StoreWriter::Completion AwaitCompletion(StoreWriter& writer) {
  if (!Readable(writer)) {
    ADD_FAILURE() << "no completion within 20 s";
    return {};
  }
  auto done = writer.TakeCompleted();
  if (done.size() != 1) {
    ADD_FAILURE() << done.size() << " completions, want 1";
    return {};
  }
  return std::move(done[0]);
}

std::unique_ptr<StoreWriter> MustStart(TaskStore& store) {
  auto writer = StoreWriter::Start(store);
  if (!writer.ok()) {
    ADD_FAILURE() << writer.status().ToString();
    return nullptr;
  }
  return std::move(*writer);
}

TEST(StoreWriterTest, CommitsASubmittedBatchAndSignalsItsEventfd) {
  testing::TempDir dir;
  auto store = MustOpen(dir.path());
  ASSERT_TRUE(store);
  auto writer = MustStart(*store);
  ASSERT_TRUE(writer);
  EXPECT_TRUE(writer->idle());
  EXPECT_FALSE(Readable(*writer, 0));

  writer->Submit(Puts(1, 10), 42);
  const auto done = AwaitCompletion(*writer);
  EXPECT_EQ(done.tag, 42u);
  EXPECT_TRUE(done.status.ok()) << done.status.ToString();
  EXPECT_TRUE(writer->idle());
  EXPECT_FALSE(Readable(*writer, 0)) << "TakeCompleted left the eventfd readable";
  // Durable and visible: another connection reads it.
  EXPECT_EQ(RawQuery(dir.File("tq.db"), "SELECT count(*) FROM tasks"), "10");
}

TEST(StoreWriterTest, CommitsBatchAfterBatchEachWithItsTag) {
  testing::TempDir dir;
  auto store = MustOpen(dir.path());
  ASSERT_TRUE(store);
  auto writer = MustStart(*store);
  ASSERT_TRUE(writer);
  for (std::uint64_t turn = 0; turn < 20; ++turn) {
    writer->Submit(Puts(1 + turn * 5, 5), 100 + turn);
    const auto done = AwaitCompletion(*writer);
    EXPECT_EQ(done.tag, 100 + turn);
    EXPECT_TRUE(done.status.ok()) << done.status.ToString();
  }
  writer->WaitIdle();
  EXPECT_EQ(Ids(*store).size(), 100u);
}

TEST(StoreWriterTest, CompletionsNotYetTakenAccumulateInOrder) {
  testing::TempDir dir;
  auto store = MustOpen(dir.path());
  ASSERT_TRUE(store);
  auto writer = MustStart(*store);
  ASSERT_TRUE(writer);
  writer->Submit(Puts(1, 1), 1);
  writer->WaitIdle();
  writer->Submit(Batch(), 2);  // an empty batch completes too
  writer->WaitIdle();
  ASSERT_TRUE(Readable(*writer));
  const auto done = writer->TakeCompleted();
  ASSERT_EQ(done.size(), 2u);
  EXPECT_EQ(done[0].tag, 1u);
  EXPECT_EQ(done[1].tag, 2u);
  EXPECT_TRUE(done[0].status.ok() && done[1].status.ok());
}

TEST(StoreWriterTest, FinishesTheBatchInFlightWhenDestroyed) {
  testing::TempDir dir;
  auto store = MustOpen(dir.path());
  ASSERT_TRUE(store);
  {
    auto writer = MustStart(*store);
    ASSERT_TRUE(writer);
    writer->Submit(Puts(1, 1000), 7);
  }
  EXPECT_EQ(Ids(*store).size(), 1000u);
}

TEST(StoreWriterTest, ReportsAFailedCommitAndCommitsTheNextBatch) {
  testing::TempDir dir;
  auto store = MustOpen(dir.path(), StoreOptions{.max_page_count = 64});
  ASSERT_TRUE(store);
  auto writer = MustStart(*store);
  ASSERT_TRUE(writer);

  writer->Submit(Puts(1, 200, 2000), 1);  // 400 KB > 256 KiB
  auto done = AwaitCompletion(*writer);
  EXPECT_EQ(done.tag, 1u);
  ASSERT_FALSE(done.status.ok());
  EXPECT_NE(done.status.message().find("(SQLITE_FULL)"), std::string::npos)
      << done.status.message();

  writer->Submit(Puts(1, 20, 2000), 2);  // fits
  done = AwaitCompletion(*writer);
  EXPECT_EQ(done.tag, 2u);
  EXPECT_TRUE(done.status.ok()) << done.status.ToString();
  EXPECT_EQ(Ids(*store).size(), 20u);
}

// A real full file system: a 1 MiB tmpfs, filled up by another file.
TEST(StoreWriterTest, ACommitOnAFullDiskFailsAndSucceedsOnceSpaceIsFreed) {
  testing::TempDir dir;
  std::string why_not;
  auto fs = testing::Tmpfs::Mount(dir.File("fs"), 1 << 20, &why_not);
  if (!fs) GTEST_SKIP() << why_not;
  auto store = MustOpen(fs->path());
  ASSERT_TRUE(store);
  auto writer = MustStart(*store);
  ASSERT_TRUE(writer);
  writer->Submit(Puts(1, 10), 1);
  ASSERT_TRUE(AwaitCompletion(*writer).status.ok());

  std::string error;
  ASSERT_TRUE(fs->Fill(&error)) << error;
  writer->Submit(Puts(11, 50, 4000), 2);  // 200 KB of new WAL frames
  auto done = AwaitCompletion(*writer);
  ASSERT_FALSE(done.status.ok()) << "committed 200 KB to a full file system";
  EXPECT_NE(done.status.message().find("database or disk is full (SQLITE_FULL)"),
            std::string::npos)
      << done.status.message();
  EXPECT_NE(done.status.message().find(fs->path() + "/tq.db"), std::string::npos)
      << done.status.message();
  EXPECT_EQ(Ids(*store).size(), 10u) << "the failed batch left rows behind";

  fs->Unfill();
  writer->Submit(Puts(11, 50, 4000), 3);
  done = AwaitCompletion(*writer);
  EXPECT_TRUE(done.status.ok()) << done.status.ToString();
  writer.reset();
  store.reset();

  store = MustOpen(fs->path());
  ASSERT_TRUE(store);
  EXPECT_EQ(Ids(*store).size(), 60u);
}

}  // namespace
}  // namespace tq::store
