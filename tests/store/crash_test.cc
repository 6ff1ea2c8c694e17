// A writer killed with SIGKILL in the middle of its commits: what it
// acknowledged is there after a reopen, every batch is there whole or not
// at all, and a new writer continues above the id ceiling without reusing
// an id. (kill -9 leaves the kernel's page cache alone, so this checks
// atomicity and recovery of the WAL, not fsync; power loss is beyond a
// unit test.)
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <vector>

#include "store/task_store.h"
#include "store_testing.h"
#include "testing/temp_dir.h"

namespace tq::store {
namespace {

constexpr std::uint64_t kBatch = 100;  // tasks per commit

// The child: commits batches of kBatch tasks above the store's id ceiling
// forever, writing each batch's first id to `ack` once CommitNow returned.
[[noreturn]] void CommitForever(const std::string& dir, int ack) {
  auto store = TaskStore::Open(dir);
  if (!store.ok()) _exit(2);
  for (std::uint64_t first = (*store)->id_ceiling() + 1;; first += kBatch) {
    Batch batch = Puts(first, kBatch);
    batch.SetIdCeiling(first + kBatch - 1);
    if (!(*store)->CommitNow(batch).ok()) _exit(3);
    if (::write(ack, &first, sizeof first) != sizeof first) _exit(4);
  }
}

TEST(StoreCrashTest, AcknowledgedBatchesSurviveKill9WholeAndIdsNeverRepeat) {
  testing::TempDir dir;
  std::mt19937 rng(std::random_device{}());
  std::set<std::uint64_t> acked;  // first ids of acknowledged batches
  for (int kill = 0; kill < 5; ++kill) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(fds[0]);
      CommitForever(dir.path(), fds[1]);
    }
    ::close(fds[1]);
    // Kill it after a random number of acknowledgements: mid-commit, most
    // likely, since committing is all it does.
    const int want = std::uniform_int_distribution<int>(3, 40)(rng);
    for (int got = 0; got < want; ++got) {
      std::uint64_t first = 0;
      const ssize_t n = ::read(fds[0], &first, sizeof first);
      if (n != sizeof first) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
        FAIL() << "the writer stopped after " << got << " commits (read " << n << ")";
      }
      EXPECT_TRUE(acked.insert(first).second) << "batch " << first << " acknowledged twice";
    }
    ASSERT_EQ(::kill(pid, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status)) << "the writer exited by itself: " << status;
    ::close(fds[0]);

    auto store = MustOpen(dir.path());
    ASSERT_TRUE(store);
    std::map<std::uint64_t, std::uint64_t> batches;  // first id -> tasks found
    std::uint64_t largest = 0;
    for (std::uint64_t id : Ids(*store)) {
      ++batches[id - (id - 1) % kBatch];
      largest = id;
    }
    for (const auto& [first, count] : batches) {
      EXPECT_EQ(count, kBatch) << "batch " << first << " is there in part";
    }
    for (std::uint64_t first : acked) {
      EXPECT_TRUE(batches.count(first)) << "acknowledged batch " << first << " is lost";
    }
    // At most the batch in flight at the kill went further than its ack.
    EXPECT_LE(batches.size(), acked.size() + kill + 1);
    EXPECT_GE(store->id_ceiling(), largest);
  }
}

}  // namespace
}  // namespace tq::store
