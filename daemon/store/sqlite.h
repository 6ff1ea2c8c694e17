// sqlite: a thin RAII wrapper over the SQLite C API, with errors as Status.
//
// Why our own and not libsqlitecpp-dev (SQLiteCpp): SQLiteCpp reports every
// failure by throwing SQLite::Exception, while tq's modules pass Status
// values and never throw across a module boundary; catching around each of
// its calls would cost about as much code as this wrapper (some 250 lines
// of code, the rest comments and a table of code names), and we use a
// small part of SQLite: one connection, prepared statements, a transaction
// guard. It also keeps sqlite3.h out of every header.
//
// Every failure becomes a Status (code kIo) whose message names the file,
// what was being done, SQLite's message and its extended result code:
//   "/var/lib/tq/tq.db: commit: database or disk is full (SQLITE_FULL)"
//
// Thread-compatible: one Database and its Statements may be used from any
// thread, but from one at a time (the caller serialises).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "tq/proto/status.h"

// SQLite's own handle types; sqlite3.h stays inside sqlite.cc.
struct sqlite3;
struct sqlite3_stmt;

namespace tq::store {

using proto::Result;
using proto::Status;

// "SQLITE_FULL", "SQLITE_IOERR_FSYNC", ... for an extended result code;
// "SQLITE_IOERR (extended code 6410)" for one this table does not name.
std::string SqliteCodeName(int extended_code);

class Statement;

class Database {
 public:
  // Opens (creating if missing) the database file at `path` read-write,
  // with extended result codes on. Fails when SQLite cannot open it.
  static Result<Database> Open(const std::string& path);

  Database() = default;
  Database(Database&& other) noexcept;
  Database& operator=(Database&& other) noexcept;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  // Closes the connection (statements must have been destroyed first).
  ~Database();

  // Runs one or more SQL statements that return no rows the caller needs.
  // `doing` names the step in an error ("create schema").
  Status Exec(std::string_view sql, std::string_view doing);
  // Prepares one statement, to be kept and reused (SQLITE_PREPARE_PERSISTENT).
  // `doing` names it in its errors ("insert task").
  Result<Statement> Prepare(std::string_view sql, std::string doing);

  // The Status for a failure `rc` of the last call on this connection,
  // with SQLite's message for it. Call before any other call on it.
  Status Error(int rc, std::string_view doing) const;
  // The extended result code of the last failed call.
  int last_error_code() const;

  // False between BEGIN and COMMIT/ROLLBACK (SQLite may also end a
  // transaction itself after SQLITE_FULL or an I/O error).
  bool autocommit() const;
  const std::string& path() const { return path_; }
  sqlite3* get() const { return db_; }

 private:
  Database(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  void Close();

  sqlite3* db_ = nullptr;
  std::string path_;
};

// A prepared statement. Bind*, then Step() until it returns false (or Run()
// for a statement without rows), then Reset() before binding again.
// Parameter and column indexes: parameters count from 1, columns from 0,
// as in SQLite. A failed bind is reported by the next Step().
class Statement {
 public:
  Statement() = default;
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  void BindInt64(int index, std::int64_t value);
  // Not copied (SQLITE_STATIC): the bytes must stay valid until the
  // statement is reset.
  void BindBlob(int index, std::string_view bytes);
  void BindText(int index, std::string_view text);
  void BindNull(int index);
  // Text, or NULL when `text` is empty.
  void BindTextOrNull(int index, std::string_view text);

  // True when a row is ready, false when the statement has finished.
  Result<bool> Step();
  // Steps to the end, ignoring rows, then resets: for INSERT/UPDATE/DELETE.
  Status Run();
  // Ready to run again; bindings are cleared.
  void Reset();

  std::int64_t ColumnInt64(int index) const;
  // Views into SQLite's row buffer, valid until the next Step/Reset. NULL
  // reads as empty.
  std::string_view ColumnBlob(int index) const;
  std::string_view ColumnText(int index) const;
  bool ColumnIsNull(int index) const;

 private:
  friend class Database;
  Statement(sqlite3_stmt* stmt, std::string doing)
      : stmt_(stmt), doing_(std::move(doing)) {}
  void Remember(int rc);

  sqlite3_stmt* stmt_ = nullptr;
  std::string doing_;  // what it does, for its errors
  int bind_error_ = 0;  // first failed bind since Reset(), or 0
};

// BEGIN IMMEDIATE ... COMMIT; rolled back on destruction unless committed.
class Transaction {
 public:
  static Result<Transaction> Begin(Database& db);

  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();

  // On failure the transaction is rolled back (by SQLite or by us).
  Status Commit();

 private:
  explicit Transaction(Database* db) : db_(db) {}
  void Rollback();

  Database* db_;  // null once committed or rolled back
};

}  // namespace tq::store
