#pragma once

// Schema migrations: each service owns one PostgreSQL schema and ships numbered SQL files
// (services/<svc>/migrations/NNNN_name.sql), compiled into its binary.

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

}  // namespace plaza::pg
