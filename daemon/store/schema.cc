// The migrations, as SQL.
#include "store/schema.h"

#include <array>
#include <string>

namespace tq::store {
namespace {

struct Migration {
  int version;
  const char* sql;
};

// Column notes. id is the rowid: rows live in id order, so a load is one
// sequential scan and an insert appends. Text "none" ("" in TaskRecord)
// is NULL. No index: tqd holds every task in memory and only ever writes
// or reads whole rows by id.
constexpr std::array<Migration, 2> kMigrations{{
    {1, R"sql(
CREATE TABLE tasks (
  id               INTEGER PRIMARY KEY,
  fn               TEXT    NOT NULL,
  args             BLOB    NOT NULL,
  priority         INTEGER NOT NULL,
  timeout_ms       INTEGER NOT NULL,
  max_retries      INTEGER NOT NULL,
  retry_on         INTEGER NOT NULL,
  retry_backoff_ms INTEGER NOT NULL,
  chunk            INTEGER NOT NULL,
  key              TEXT,
  state            INTEGER NOT NULL,
  attempts         INTEGER NOT NULL,
  worker_deaths    INTEGER NOT NULL,
  queued_at_ms     INTEGER NOT NULL,
  ready_at_ms      INTEGER NOT NULL,
  started_at_ms    INTEGER NOT NULL,
  finished_at_ms   INTEGER NOT NULL,
  value            BLOB,
  error            BLOB
);
CREATE TABLE meta (
  name  TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO meta (name, value) VALUES ('id_ceiling', 0);
PRAGMA application_id = 1953562625;
)sql"},
    // Who submitted a task (ipc:// peers' uid and pid) and the job a task
    // belongs to (tq map --name). ADD COLUMN rewrites no row: old rows
    // read NULL, i.e. unknown / none.
    {2, R"sql(
ALTER TABLE tasks ADD COLUMN name TEXT;
ALTER TABLE tasks ADD COLUMN submitter_uid INTEGER;
ALTER TABLE tasks ADD COLUMN submitter_pid INTEGER;
)sql"},
}};

static_assert(kMigrations.back().version == kSchemaVersion);
static_assert(kApplicationId == 1953562625);

}  // namespace

Status Migrate(Database& db, int from) {
  for (const Migration& m : kMigrations) {
    if (m.version <= from) continue;
    auto tx = Transaction::Begin(db);
    if (!tx.ok()) return tx.status();
    const std::string to = std::to_string(m.version);
    TQ_RETURN_IF_ERROR(db.Exec(m.sql, "migrate to schema " + to));
    TQ_RETURN_IF_ERROR(db.Exec("PRAGMA user_version = " + to, "set schema version " + to));
    TQ_RETURN_IF_ERROR(tx->Commit());
  }
  return Status::Ok();
}

}  // namespace tq::store
