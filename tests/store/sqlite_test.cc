// The SQLite wrapper: values go in and come back through bound statements,
// errors name the file, the step and SQLite's code, and a transaction not
// committed is rolled back.
#include "store/sqlite.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>

#include "testing/temp_dir.h"

namespace tq::store {
namespace {

using std::string_literals::operator""s;

Database MustOpenDb(const std::string& path) {
  auto db = Database::Open(path);
  EXPECT_TRUE(db.ok()) << db.status().ToString();
  return db.ok() ? std::move(*db) : Database();
}

std::int64_t Count(Database& db) {
  auto stmt = db.Prepare("SELECT count(*) FROM t", "count");
  EXPECT_TRUE(stmt.ok()) << stmt.status().ToString();
  auto row = stmt->Step();
  EXPECT_TRUE(row.ok() && *row);
  return stmt->ColumnInt64(0);
}

TEST(SqliteTest, BoundValuesComeBackFromColumns) {
  testing::TempDir dir;
  Database db = MustOpenDb(dir.File("a.db"));
  ASSERT_TRUE(db.Exec("CREATE TABLE t (i INTEGER, b BLOB, s TEXT, n TEXT)", "create").ok());
  auto insert = db.Prepare("INSERT INTO t VALUES (?1, ?2, ?3, ?4)", "insert");
  ASSERT_TRUE(insert.ok()) << insert.status().ToString();
  const std::string blob = "\x00\x01\xff"s;
  insert->BindInt64(1, INT64_MIN);
  insert->BindBlob(2, blob);
  insert->BindText(3, "h\xc3\xa9llo");
  insert->BindTextOrNull(4, "");
  ASSERT_TRUE(insert->Run().ok());
  insert->BindInt64(1, 1);
  insert->BindBlob(2, "");  // empty, not NULL
  insert->BindNull(3);
  insert->BindTextOrNull(4, "x");
  ASSERT_TRUE(insert->Run().ok());

  auto select = db.Prepare("SELECT i, b, s, n, b IS NULL FROM t ORDER BY rowid", "select");
  ASSERT_TRUE(select.ok());
  auto row = select->Step();
  ASSERT_TRUE(row.ok() && *row);
  EXPECT_EQ(select->ColumnInt64(0), INT64_MIN);
  EXPECT_EQ(select->ColumnBlob(1), blob);
  EXPECT_EQ(select->ColumnText(2), "h\xc3\xa9llo");
  EXPECT_TRUE(select->ColumnIsNull(3));
  row = select->Step();
  ASSERT_TRUE(row.ok() && *row);
  EXPECT_EQ(select->ColumnBlob(1), "");
  EXPECT_EQ(select->ColumnInt64(4), 0) << "an empty blob was stored as NULL";
  EXPECT_TRUE(select->ColumnIsNull(2));
  EXPECT_EQ(select->ColumnText(2), "");
  EXPECT_EQ(select->ColumnText(3), "x");
  row = select->Step();
  ASSERT_TRUE(row.ok());
  EXPECT_FALSE(*row);
}

TEST(SqliteTest, ErrorsNameTheFileTheStepAndTheCode) {
  testing::TempDir dir;
  Database db = MustOpenDb(dir.File("a.db"));
  Status status = db.Exec("CREATE TABLE t (i INTEGER PRIMARY KEY);"
                          "INSERT INTO t VALUES (1); INSERT INTO t VALUES (1)",
                          "fill t");
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), proto::ErrorCode::kIo);
  EXPECT_EQ(status.message(), dir.File("a.db") +
                                  ": fill t: UNIQUE constraint failed: t.i "
                                  "(SQLITE_CONSTRAINT_PRIMARYKEY)");
  auto bad = db.Prepare("SELEKT 1", "read things");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), dir.File("a.db") +
                                        ": prepare to read things: near \"SELEKT\": "
                                        "syntax error (SQLITE_ERROR)");
}

TEST(SqliteTest, AFailedBindIsReportedByTheNextStep) {
  testing::TempDir dir;
  Database db = MustOpenDb(dir.File("a.db"));
  auto stmt = db.Prepare("SELECT ?1", "select one");
  ASSERT_TRUE(stmt.ok());
  stmt->BindInt64(2, 5);  // no such parameter
  auto row = stmt->Step();
  ASSERT_FALSE(row.ok());
  EXPECT_NE(row.status().message().find("select one (binding)"), std::string::npos)
      << row.status().message();
  EXPECT_NE(row.status().message().find("(SQLITE_RANGE)"), std::string::npos)
      << row.status().message();
  stmt->Reset();
  stmt->BindInt64(1, 5);
  row = stmt->Step();
  ASSERT_TRUE(row.ok() && *row) << "Reset clears the bind error";
  EXPECT_EQ(stmt->ColumnInt64(0), 5);
}

TEST(SqliteTest, ATransactionNotCommittedIsRolledBack) {
  testing::TempDir dir;
  Database db = MustOpenDb(dir.File("a.db"));
  ASSERT_TRUE(db.Exec("CREATE TABLE t (i INTEGER)", "create").ok());
  {
    auto tx = Transaction::Begin(db);
    ASSERT_TRUE(tx.ok()) << tx.status().ToString();
    EXPECT_FALSE(db.autocommit());
    ASSERT_TRUE(db.Exec("INSERT INTO t VALUES (1)", "insert").ok());
  }
  EXPECT_TRUE(db.autocommit());
  EXPECT_EQ(Count(db), 0);
  {
    auto tx = Transaction::Begin(db);
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE(db.Exec("INSERT INTO t VALUES (1)", "insert").ok());
    ASSERT_TRUE(tx->Commit().ok());
  }
  EXPECT_EQ(Count(db), 1);
}

TEST(SqliteTest, OpeningADirectoryFailsWithAReason) {
  testing::TempDir dir;
  auto db = Database::Open(dir.path());
  ASSERT_FALSE(db.ok());
  EXPECT_NE(db.status().message().find("open: "), std::string::npos)
      << db.status().message();
  EXPECT_NE(db.status().message().find("SQLITE_CANTOPEN"), std::string::npos)
      << db.status().message();
}

TEST(SqliteTest, CodeNamesIncludeExtendedCodes) {
  EXPECT_EQ(SqliteCodeName(SQLITE_FULL), "SQLITE_FULL");
  EXPECT_EQ(SqliteCodeName(SQLITE_IOERR_FSYNC), "SQLITE_IOERR_FSYNC");
  EXPECT_EQ(SqliteCodeName(SQLITE_IOERR_MMAP), "SQLITE_IOERR (extended code " +
                                                   std::to_string(SQLITE_IOERR_MMAP) + ")");
}

}  // namespace
}  // namespace tq::store
