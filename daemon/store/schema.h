// The store's schema and its migrations, oldest first.
//
// PRAGMA user_version holds the version a file was last migrated to, and
// PRAGMA application_id marks it as tq's. Migrating runs each newer step in
// its own transaction that also sets user_version, so a crash mid-way
// leaves a file at one version or the next, never between.
//
// A released step is never edited: a file written by it must still open.
// Add a step at the end instead, and a test that opens a file of the
// version before it (tests/store/migration_test.cc).
#pragma once

#include <cstdint>

#include "store/sqlite.h"

namespace tq::store {

// The newest schema this build knows.
inline constexpr int kSchemaVersion = 2;
// "tq\0\1" in PRAGMA application_id.
inline constexpr std::int32_t kApplicationId = 0x74710001;

// Brings `db` from `from` (0: a new, empty file) to kSchemaVersion.
// Requires from <= kSchemaVersion.
Status Migrate(Database& db, int from);

}  // namespace tq::store
