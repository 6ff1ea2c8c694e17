// What TaskStore::Open refuses, and that each refusal names the file and
// the cause: a corrupt file, a state directory another store holds, one
// that cannot be written, a newer schema, somebody else's database.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "store/task_store.h"
#include "store_testing.h"
#include "testing/temp_dir.h"
#include "testing/tmpfs.h"

namespace tq::store {
namespace {

std::string OpenError(const std::string& dir) {
  auto store = TaskStore::Open(dir);
  if (store.ok()) return "(it opened)";
  EXPECT_EQ(store.status().code(), proto::ErrorCode::kIo);
  return store.status().message();
}

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

TEST(StoreOpenTest, RefusesAFileThatIsNotADatabase) {
  testing::TempDir dir;
  WriteFile(dir.File("tq.db"), std::string(8192, 'x'));
  EXPECT_EQ(OpenError(dir.path()),
            dir.File("tq.db") +
                " is corrupt (file is not a database): restore it from a backup, or "
                "move it away to start with an empty store");
}

TEST(StoreOpenTest, RefusesADatabaseWithADamagedPage) {
  testing::TempDir dir;
  {
    auto store = MustOpen(dir.path());
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->CommitNow(Puts(1, 2000, 200)).ok());
  }  // closing checkpoints the WAL into tq.db and removes it
  ASSERT_EQ(::access(dir.File("tq.db-wal").c_str(), F_OK), -1);
  {
    const int fd = ::open(dir.File("tq.db").c_str(), O_WRONLY);
    ASSERT_GE(fd, 0);
    const std::string garbage(4096, '\xa5');
    ASSERT_EQ(::pwrite(fd, garbage.data(), garbage.size(), 4096 * 20), 4096);
    ::close(fd);
  }
  const std::string msg = OpenError(dir.path());
  EXPECT_EQ(msg.rfind(dir.File("tq.db") + " is corrupt (", 0), 0u) << msg;
}

TEST(StoreOpenTest, RefusesAStateDirectoryInUseNamingTheHoldersPid) {
  testing::TempDir dir;
  auto first = MustOpen(dir.path());
  ASSERT_TRUE(first);
  EXPECT_EQ(OpenError(dir.path()), "state directory " + dir.path() +
                                       " is in use by another tqd (pid " +
                                       std::to_string(::getpid()) + ")");
  // The refused open left the holder's store working.
  EXPECT_TRUE(first->CommitNow(Puts(1, 1)).ok());
}

TEST(StoreOpenTest, OpensOnceTheHolderHasClosed) {
  testing::TempDir dir;
  {
    auto first = MustOpen(dir.path());
    ASSERT_TRUE(first);
    ASSERT_TRUE(first->CommitNow(Puts(1, 2)).ok());
  }
  auto second = MustOpen(dir.path());
  ASSERT_TRUE(second);
  EXPECT_EQ(Ids(*second).size(), 2u);
}

// Permissions do not stop root: as root, a tmpfs remounted read-only
// stands in for the unwritable directory (EROFS); otherwise chmod 0500
// (EACCES).
TEST(StoreOpenTest, RefusesAStateDirectoryItCannotWrite) {
  testing::TempDir dir;
  const std::string state = dir.File("state");
  std::unique_ptr<testing::Tmpfs> fs;
  std::string cause;
  if (::geteuid() == 0) {
    std::string why_not;
    fs = testing::Tmpfs::Mount(state, 1 << 20, &why_not);
    if (!fs) GTEST_SKIP() << "as root only a read-only mount makes a directory unwritable: " << why_not;
    {
      auto store = MustOpen(state);
      ASSERT_TRUE(store);
      ASSERT_TRUE(store->CommitNow(Puts(1, 1)).ok());
    }
    std::string error;
    ASSERT_TRUE(fs->RemountReadOnly(&error)) << error;
    cause = "Read-only file system";
  } else {
    {
      auto store = MustOpen(state);
      ASSERT_TRUE(store);
    }
    ASSERT_EQ(::chmod(state.c_str(), 0500), 0);
    cause = "Permission denied";
  }
  const std::string msg = OpenError(state);
  ::chmod(state.c_str(), 0700);  // so that TempDir can remove it
  EXPECT_EQ(msg.rfind("cannot write " + state + "/tq.db: " + cause, 0), 0u) << msg;
}

TEST(StoreOpenTest, RefusesAStateDirectoryItCannotCreate) {
  testing::TempDir dir;
  std::unique_ptr<testing::Tmpfs> fs;
  std::string cause;
  if (::geteuid() == 0) {
    std::string why_not, error;
    fs = testing::Tmpfs::Mount(dir.File("ro"), 1 << 20, &why_not);
    if (!fs) GTEST_SKIP() << why_not;
    ASSERT_TRUE(fs->RemountReadOnly(&error)) << error;
    cause = "Read-only file system";
  } else {
    ASSERT_EQ(::mkdir(dir.File("ro").c_str(), 0500), 0);
    cause = "Permission denied";
  }
  const std::string state = dir.File("ro/tq");
  const std::string msg = OpenError(state);
  ::chmod(dir.File("ro").c_str(), 0700);
  EXPECT_EQ(msg, "cannot create state directory " + state + ": " + cause);
}

TEST(StoreOpenTest, RefusesASchemaNewerThanItKnows) {
  testing::TempDir dir;
  { ASSERT_TRUE(MustOpen(dir.path())); }
  RawExec(dir.File("tq.db"), "PRAGMA user_version = 99");
  EXPECT_EQ(OpenError(dir.path()), dir.File("tq.db") +
                                       " was written by a newer tqd (schema 99; this "
                                       "tqd knows up to 2)");
}

TEST(StoreOpenTest, RefusesAnotherProgramsDatabase) {
  for (const char* sql : {"CREATE TABLE photos (path TEXT)", "PRAGMA user_version = 3",
                          "PRAGMA user_version = -1"}) {
    testing::TempDir dir;
    RawExec(dir.File("tq.db"), sql);
    EXPECT_EQ(OpenError(dir.path()),
              dir.File("tq.db") + " is an SQLite database but not a tq store")
        << sql;
  }
}

TEST(StoreOpenTest, OpensAnEmptyFileAsANewStore) {
  testing::TempDir dir;
  WriteFile(dir.File("tq.db"), "");
  auto store = MustOpen(dir.path());
  ASSERT_TRUE(store);
  EXPECT_EQ(store->QueryPragma("user_version").value(), "2");
}

}  // namespace
}  // namespace tq::store
