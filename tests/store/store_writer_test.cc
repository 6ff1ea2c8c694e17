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
#include "testing/tmpfs.h"

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

class StoreWriterTest : public ::testing::Test {
 protected:
  void SetUp() override { Restart(); }
  // Stops the writer, reopens the store and starts a new writer.
  void Restart(const StoreOptions& options = {}) {
    writer_.reset();
    store_.reset();
    store_ = MustOpen(dir_.path(), options);
    ASSERT_TRUE(store_);
    writer_ = MustStart(*store_);
    ASSERT_TRUE(writer_);
  }

  testing::TempDir dir_;
  std::unique_ptr<TaskStore> store_;
  std::unique_ptr<StoreWriter> writer_;  // destroyed before the store
};

TEST_F(StoreWriterTest, CommitsASubmittedBatchAndSignalsItsEventfd) {
  EXPECT_TRUE(writer_->idle());
  EXPECT_FALSE(Readable(*writer_, 0));

  writer_->Submit(Puts(1, 10), 42);
  const auto done = AwaitCompletion(*writer_);
  EXPECT_EQ(done.tag, 42u);
  EXPECT_TRUE(done.status.ok()) << done.status.ToString();
  EXPECT_TRUE(writer_->idle());
  EXPECT_FALSE(Readable(*writer_, 0)) << "TakeCompleted left the eventfd readable";
  // Durable and visible: another connection reads it.
  EXPECT_EQ(RawQuery(dir_.File("tq.db"), "SELECT count(*) FROM tasks"), "10");
}

TEST_F(StoreWriterTest, CommitsBatchAfterBatchEachWithItsTag) {
  for (std::uint64_t turn = 0; turn < 20; ++turn) {
    writer_->Submit(Puts(1 + turn * 5, 5), 100 + turn);
    const auto done = AwaitCompletion(*writer_);
    EXPECT_EQ(done.tag, 100 + turn);
    EXPECT_TRUE(done.status.ok()) << done.status.ToString();
  }
  writer_->WaitIdle();
  EXPECT_EQ(Ids(*store_).size(), 100u);
}

TEST_F(StoreWriterTest, CompletionsNotYetTakenAccumulateInOrder) {
  writer_->Submit(Puts(1, 1), 1);
  writer_->WaitIdle();
  writer_->Submit(Batch(), 2);  // an empty batch completes too
  writer_->WaitIdle();
  ASSERT_TRUE(Readable(*writer_));
  const auto done = writer_->TakeCompleted();
  ASSERT_EQ(done.size(), 2u);
  EXPECT_EQ(done[0].tag, 1u);
  EXPECT_EQ(done[1].tag, 2u);
  EXPECT_TRUE(done[0].status.ok() && done[1].status.ok());
}

TEST_F(StoreWriterTest, FinishesTheBatchInFlightWhenDestroyed) {
  writer_->Submit(Puts(1, 1000), 7);
  writer_.reset();
  EXPECT_EQ(Ids(*store_).size(), 1000u);
}

TEST_F(StoreWriterTest, ReportsAFailedCommitAndCommitsTheNextBatch) {
  ASSERT_NO_FATAL_FAILURE(Restart(StoreOptions{.max_page_count = 64}));

  writer_->Submit(Puts(1, 200, 2000), 1);  // 400 KB > 256 KiB
  auto done = AwaitCompletion(*writer_);
  EXPECT_EQ(done.tag, 1u);
  ASSERT_FALSE(done.status.ok());
  EXPECT_NE(done.status.message().find("(SQLITE_FULL)"), std::string::npos)
      << done.status.message();

  writer_->Submit(Puts(1, 20, 2000), 2);  // fits
  done = AwaitCompletion(*writer_);
  EXPECT_EQ(done.tag, 2u);
  EXPECT_TRUE(done.status.ok()) << done.status.ToString();
  EXPECT_EQ(Ids(*store_).size(), 20u);
}

// A real full file system: a 1 MiB tmpfs, filled up by another file.
TEST(StoreWriterOnTmpfsTest, ACommitOnAFullDiskFailsAndSucceedsOnceSpaceIsFreed) {
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
