#include "plaza/pg/migrate.h"

#include <spdlog/spdlog.h>

#include <cstdlib>
#include <map>
#include <thread>

namespace plaza::pg {

absl::Status Migrate(Pool& pool, std::string_view schema,
                     const std::vector<Migration>& migrations) {
  for (size_t i = 1; i < migrations.size(); ++i) {
    if (migrations[i].version <= migrations[i - 1].version) {
      return InvalidArgument("MIGRATION_ORDER",
                             "migration versions must strictly increase: " + migrations[i].name);
    }
  }
  return pool.Transact([&](pqxx::work& tx) -> absl::Status {
    const std::string quoted = tx.quote_name(std::string(schema));
    // Every starter of this service serialises here; the lock ends with the transaction.
    tx.exec_params("SELECT pg_advisory_xact_lock(hashtext($1))",
                   "plaza.migrate." + std::string(schema));
    tx.exec("CREATE SCHEMA IF NOT EXISTS " + quoted);
    tx.exec("CREATE TABLE IF NOT EXISTS " + quoted +
            ".schema_migrations (version integer PRIMARY KEY, name text NOT NULL, "
            "checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())");
    std::map<int, std::string> applied;
    for (const auto& row :
         tx.exec("SELECT version, checksum FROM " + quoted + ".schema_migrations")) {
      applied[row[0].as<int>()] = row[1].as<std::string>();
    }
    for (const auto& migration : migrations) {
      std::string checksum = tx.exec_params1("SELECT md5($1)", migration.sql)[0].as<std::string>();
      if (auto it = applied.find(migration.version); it != applied.end()) {
        if (it->second != checksum) {
          return FailedPrecondition("MIGRATION_CHANGED",
                                    "applied migration was edited: " + migration.name);
        }
        continue;
      }
      spdlog::info("applying migration {}.{}", schema, migration.name);
      tx.exec("SET LOCAL search_path TO " + quoted);
      tx.exec(migration.sql);
      tx.exec_params("INSERT INTO " + quoted +
                         ".schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                     migration.version, migration.name, checksum);
    }
    return absl::OkStatus();
  });
}

bool MigrateWhenReachable(Pool& pool, std::string_view schema,
                          const std::vector<Migration>& migrations,
                          const std::atomic<bool>& stopping) {
  while (!stopping) {
    absl::Status migrated = Migrate(pool, schema, migrations);
    if (migrated.ok()) return true;
    if (migrated.code() != absl::StatusCode::kUnavailable &&
        migrated.code() != absl::StatusCode::kAborted) {
      spdlog::critical("migrations failed: {}", migrated.ToString());
      std::exit(2);
    }
    spdlog::warn("database not ready ({}); retrying", migrated.ToString());
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  return false;
}

}  // namespace plaza::pg
