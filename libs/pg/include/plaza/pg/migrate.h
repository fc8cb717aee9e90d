#pragma once

// Schema migrations: each service owns one PostgreSQL schema and ships numbered SQL files
// (services/<svc>/migrations/NNNN_name.sql), compiled into its binary.

#include <atomic>
#include <string>
#include <string_view>
#include <vector>

#include "plaza/pg/pool.h"

namespace plaza::pg {

struct Migration {
  int version;       // NNNN from the file name; strictly increasing
  std::string name;  // file name without .sql
  std::string sql;
};

// Creates `schema` if needed and applies, in version order, every migration not yet recorded
// in `<schema>.schema_migrations`, all in one transaction under an advisory lock keyed by the
// schema, so concurrent starters apply each migration exactly once. Fails with
// FAILED_PRECONDITION (reason MIGRATION_CHANGED) if an applied migration's text has changed
// since, and INVALID_ARGUMENT if versions are not strictly increasing.
absl::Status Migrate(Pool& pool, std::string_view schema, const std::vector<Migration>& migrations);

// What a starting service does, since the database may come up after it: Migrate, retrying every
// second while the database is unreachable (UNAVAILABLE) or busy (ABORTED), until done (true) or
// `stopping` (false). Any other failure is a broken rollout: logged, and the process exits with
// status 2.
bool MigrateWhenReachable(Pool& pool, std::string_view schema,
                          const std::vector<Migration>& migrations,
                          const std::atomic<bool>& stopping);

}  // namespace plaza::pg
