// Database, Statement and Transaction over the SQLite C API.
#include "store/sqlite.h"

#include <sqlite3.h>

#include <array>
#include <utility>

namespace tq::store {
namespace {

struct CodeName {
  int code;
  const char* name;
};

// The codes a task store meets in practice; others print by number.
constexpr std::array<CodeName, 36> kCodeNames{{
    {SQLITE_ERROR, "SQLITE_ERROR"},
    {SQLITE_INTERNAL, "SQLITE_INTERNAL"},
    {SQLITE_PERM, "SQLITE_PERM"},
    {SQLITE_ABORT, "SQLITE_ABORT"},
    {SQLITE_BUSY, "SQLITE_BUSY"},
    {SQLITE_LOCKED, "SQLITE_LOCKED"},
    {SQLITE_NOMEM, "SQLITE_NOMEM"},
    {SQLITE_READONLY, "SQLITE_READONLY"},
    {SQLITE_INTERRUPT, "SQLITE_INTERRUPT"},
    {SQLITE_IOERR, "SQLITE_IOERR"},
    {SQLITE_CORRUPT, "SQLITE_CORRUPT"},
    {SQLITE_FULL, "SQLITE_FULL"},
    {SQLITE_CANTOPEN, "SQLITE_CANTOPEN"},
    {SQLITE_PROTOCOL, "SQLITE_PROTOCOL"},
    {SQLITE_SCHEMA, "SQLITE_SCHEMA"},
    {SQLITE_TOOBIG, "SQLITE_TOOBIG"},
    {SQLITE_CONSTRAINT, "SQLITE_CONSTRAINT"},
    {SQLITE_MISMATCH, "SQLITE_MISMATCH"},
    {SQLITE_MISUSE, "SQLITE_MISUSE"},
    {SQLITE_RANGE, "SQLITE_RANGE"},
    {SQLITE_NOTADB, "SQLITE_NOTADB"},
    {SQLITE_IOERR_READ, "SQLITE_IOERR_READ"},
    {SQLITE_IOERR_SHORT_READ, "SQLITE_IOERR_SHORT_READ"},
    {SQLITE_IOERR_WRITE, "SQLITE_IOERR_WRITE"},
    {SQLITE_IOERR_FSYNC, "SQLITE_IOERR_FSYNC"},
    {SQLITE_IOERR_DIR_FSYNC, "SQLITE_IOERR_DIR_FSYNC"},
    {SQLITE_IOERR_TRUNCATE, "SQLITE_IOERR_TRUNCATE"},
    {SQLITE_IOERR_SHMSIZE, "SQLITE_IOERR_SHMSIZE"},
    {SQLITE_IOERR_SHMMAP, "SQLITE_IOERR_SHMMAP"},
    {SQLITE_CANTOPEN_ISDIR, "SQLITE_CANTOPEN_ISDIR"},
    {SQLITE_CORRUPT_INDEX, "SQLITE_CORRUPT_INDEX"},
    {SQLITE_READONLY_DBMOVED, "SQLITE_READONLY_DBMOVED"},
    {SQLITE_READONLY_DIRECTORY, "SQLITE_READONLY_DIRECTORY"},
    {SQLITE_CONSTRAINT_PRIMARYKEY, "SQLITE_CONSTRAINT_PRIMARYKEY"},
    {SQLITE_CONSTRAINT_UNIQUE, "SQLITE_CONSTRAINT_UNIQUE"},
    {SQLITE_CONSTRAINT_NOTNULL, "SQLITE_CONSTRAINT_NOTNULL"},
}};

const char* FindName(int code) {
  for (const auto& c : kCodeNames) {
    if (c.code == code) return c.name;
  }
  return nullptr;
}

// The Status of failure `rc` on connection `db` (which may be null when
// sqlite3_open_v2 could not even allocate one).
Status ErrorOn(sqlite3* db, int rc, std::string_view doing) {
  const char* file = db ? sqlite3_db_filename(db, "main") : nullptr;
  std::string msg = file && *file ? std::string(file) + ": " : std::string();
  msg += doing;
  msg += ": ";
  // sqlite3_errmsg describes the last failure on `db`, which is `rc` when
  // called right after it; sqlite3_errstr is the generic text for rc.
  msg += db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  msg += " (" + SqliteCodeName(rc) + ")";
  return Status(proto::ErrorCode::kIo, std::move(msg));
}

}  // namespace

std::string SqliteCodeName(int extended_code) {
  if (const char* name = FindName(extended_code)) return name;
  const char* primary = FindName(extended_code & 0xff);
  return std::string(primary ? primary : "SQLITE_?") + " (extended code " +
         std::to_string(extended_code) + ")";
}

// --- Database

Result<Database> Database::Open(const std::string& path) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(
      path.c_str(), &db,
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_EXRESCODE |
          SQLITE_OPEN_NOMUTEX,
      nullptr);
  if (rc != SQLITE_OK) {
    Status status = ErrorOn(db, rc, "open");
    sqlite3_close(db);  // a handle is returned even on failure
    return status;
  }
  return Database(db, path);
}

Database::Database(Database&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), path_(std::move(other.path_)) {}

Database& Database::operator=(Database&& other) noexcept {
  if (this != &other) {
    Close();
    db_ = std::exchange(other.db_, nullptr);
    path_ = std::move(other.path_);
  }
  return *this;
}

Database::~Database() { Close(); }

void Database::Close() {
  // Owners destroy their statements first; if one were still open, _v2
  // would close the connection when it is finalized instead of failing.
  if (db_) sqlite3_close_v2(std::exchange(db_, nullptr));
}

Status Database::Exec(std::string_view sql, std::string_view doing) {
  const std::string text(sql);  // sqlite3_exec wants a C string
  const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr);
  return rc == SQLITE_OK ? Status::Ok() : Error(rc, doing);
}

Result<Statement> Database::Prepare(std::string_view sql, std::string doing) {
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    return Error(rc, "prepare to " + doing);
  }
  return Statement(stmt, std::move(doing));
}

Status Database::Error(int rc, std::string_view doing) const {
  return ErrorOn(db_, rc, doing);
}

int Database::last_error_code() const { return sqlite3_extended_errcode(db_); }

bool Database::autocommit() const { return sqlite3_get_autocommit(db_) != 0; }

// --- Statement

Statement::Statement(Statement&& other) noexcept
    : stmt_(std::exchange(other.stmt_, nullptr)),
      doing_(std::move(other.doing_)),
      bind_error_(std::exchange(other.bind_error_, 0)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    stmt_ = std::exchange(other.stmt_, nullptr);
    doing_ = std::move(other.doing_);
    bind_error_ = std::exchange(other.bind_error_, 0);
  }
  return *this;
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

void Statement::Remember(int rc) {
  if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
}

void Statement::BindInt64(int index, std::int64_t value) {
  Remember(sqlite3_bind_int64(stmt_, index, value));
}

void Statement::BindBlob(int index, std::string_view bytes) {
  // A null pointer would bind NULL, not an empty blob.
  Remember(sqlite3_bind_blob64(stmt_, index, bytes.data() ? bytes.data() : "",
                               bytes.size(), SQLITE_STATIC));
}

void Statement::BindText(int index, std::string_view text) {
  Remember(sqlite3_bind_text64(stmt_, index, text.data() ? text.data() : "",
                               text.size(), SQLITE_STATIC, SQLITE_UTF8));
}

void Statement::BindNull(int index) { Remember(sqlite3_bind_null(stmt_, index)); }

void Statement::BindTextOrNull(int index, std::string_view text) {
  if (text.empty()) {
    BindNull(index);
  } else {
    BindText(index, text);
  }
}

Result<bool> Statement::Step() {
  sqlite3* db = sqlite3_db_handle(stmt_);
  if (bind_error_ != 0) return ErrorOn(db, bind_error_, doing_ + " (binding)");
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return ErrorOn(db, rc, doing_);
}

Status Statement::Run() {
  Result<bool> row = false;
  do {
    row = Step();
  } while (row.ok() && *row);
  Reset();
  return row.status();
}

void Statement::Reset() {
  // sqlite3_reset repeats the last step's error, which Step() has reported.
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  bind_error_ = 0;
}

std::int64_t Statement::ColumnInt64(int index) const {
  return sqlite3_column_int64(stmt_, index);
}

std::string_view Statement::ColumnBlob(int index) const {
  // The pointer first, then the size: the documented order.
  const void* data = sqlite3_column_blob(stmt_, index);
  const int size = sqlite3_column_bytes(stmt_, index);
  if (data == nullptr) return {};
  return {static_cast<const char*>(data), static_cast<std::size_t>(size)};
}

std::string_view Statement::ColumnText(int index) const {
  const unsigned char* data = sqlite3_column_text(stmt_, index);
  const int size = sqlite3_column_bytes(stmt_, index);
  if (data == nullptr) return {};
  return {reinterpret_cast<const char*>(data), static_cast<std::size_t>(size)};
}

bool Statement::ColumnIsNull(int index) const {
  return sqlite3_column_type(stmt_, index) == SQLITE_NULL;
}

// --- Transaction

Result<Transaction> Transaction::Begin(Database& db) {
  // A ROLLBACK that failed (an I/O error) leaves a transaction open; retry
  // it, or BEGIN would fail on every later batch.
  if (!db.autocommit()) {
    TQ_RETURN_IF_ERROR(db.Exec("ROLLBACK", "roll back an earlier failed transaction"));
  }
  // IMMEDIATE takes the write lock now: no deadlock-prone upgrade later.
  TQ_RETURN_IF_ERROR(db.Exec("BEGIN IMMEDIATE", "begin transaction"));
  return Transaction(&db);
}

Transaction::Transaction(Transaction&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)) {}

Transaction::~Transaction() { Rollback(); }

Status Transaction::Commit() {
  Database* db = std::exchange(db_, nullptr);
  Status status = db->Exec("COMMIT", "commit");
  // A failed COMMIT may leave the transaction open (SQLITE_BUSY) or end it;
  // either way nothing of it must stay pending on the connection.
  if (!status.ok() && !db->autocommit()) {
    db_ = db;
    Rollback();
  }
  return status;
}

void Transaction::Rollback() {
  Database* db = std::exchange(db_, nullptr);
  // After SQLITE_FULL or an I/O error SQLite may have rolled back already.
  if (db && !db->autocommit()) {
    (void)db->Exec("ROLLBACK", "rollback");
  }
}

}  // namespace tq::store
