#include "tools/bench/pg_probe.h"

#include <spdlog/spdlog.h>

#include <thread>

#include "plaza/core/status.h"

namespace plaza::bench {
namespace {

// Every statement of the probe names the alias plaza_bench_probe, so that the statements sum
// can leave them out.
constexpr const char* kClearSnapshot = "SELECT pg_stat_clear_snapshot() AS plaza_bench_probe";
constexpr const char* kRows =
    "SELECT relname, n_tup_ins + n_tup_upd + n_tup_del AS plaza_bench_probe "
    "FROM pg_stat_user_tables WHERE schemaname = $1";
constexpr const char* kCommits =
    "SELECT xact_commit AS plaza_bench_probe FROM pg_stat_database "
    "WHERE datname = current_database()";
constexpr const char* kHasStatements =
    "SELECT count(*) AS plaza_bench_probe FROM pg_extension WHERE extname = 'pg_stat_statements'";
constexpr const char* kStatements =
    "SELECT coalesce(sum(calls), 0)::bigint AS plaza_bench_probe FROM pg_stat_statements "
    "WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) "
    "AND query NOT LIKE '%plaza_bench_probe%'";

}  // namespace

PgProbe::PgProbe(std::unique_ptr<pqxx::connection> connection, std::string schema)
    : schema_(std::move(schema)), connection_(std::move(connection)) {}

PgProbe::~PgProbe() {
  try {
    if (tx_) tx_->abort();
  } catch (const std::exception&) {
    // The connection is going away with the probe; nothing was written.
  }
}

absl::StatusOr<std::unique_ptr<PgProbe>> PgProbe::Open(const std::string& url, std::string schema) {
  try {
    auto probe = std::unique_ptr<PgProbe>(
        new PgProbe(std::make_unique<pqxx::connection>(url), std::move(schema)));
    probe->tx_ = std::make_unique<pqxx::read_transaction>(*probe->connection_);
    if (probe->tx_->exec1(kHasStatements)[0].as<int64_t>() > 0) {
      // Installed but not loaded (shared_preload_libraries) it raises an error: try it in a
      // savepoint, which keeps the transaction usable.
      try {
        pqxx::subtransaction attempt(*probe->tx_, "plaza_bench_probe");
        attempt.exec1(kStatements);
        attempt.commit();
        probe->has_statements_ = true;
      } catch (const pqxx::sql_error&) {
        probe->has_statements_ = false;
      }
    }
    return probe;
  } catch (const std::exception& error) {
    return Unavailable("PG_PROBE_FAILED",
                       std::string("reading PostgreSQL's statistics: ") + error.what());
  }
}

absl::StatusOr<PgActivity> PgProbe::Read() {
  try {
    PgActivity reading;
    tx_->exec(kClearSnapshot);
    reading.at = std::chrono::steady_clock::now();
    for (const auto& row : tx_->exec_params(kRows, schema_)) {
      reading.rows_by_table[row[0].as<std::string>()] = row[1].as<int64_t>();
    }
    reading.xact_commit = tx_->exec1(kCommits)[0].as<int64_t>();
    if (has_statements_) reading.statements = tx_->exec1(kStatements)[0].as<int64_t>();
    return reading;
  } catch (const std::exception& error) {
    return Unavailable("PG_PROBE_FAILED",
                       std::string("reading PostgreSQL's statistics: ") + error.what());
  }
}

absl::StatusOr<PgProbe::Settled> PgProbe::Settle(std::chrono::steady_clock::time_point load_ended,
                                                 std::chrono::milliseconds quiet,
                                                 std::chrono::milliseconds bound) {
  SettleWatch watch(load_ended + kPgFlushDelay, quiet);
  const auto give_up = std::chrono::steady_clock::now() + bound;
  while (true) {
    auto reading = Read();
    if (!reading.ok()) return reading.status();
    const bool settled = watch.Add(*reading);
    spdlog::debug("pg probe: rows {} commits {} statements {}{}", reading->rows(),
                  reading->xact_commit, reading->statements.value_or(-1),
                  settled ? " (settled)" : "");
    if (settled || reading->at >= give_up) {
      return Settled{.reading = *std::move(reading), .settled = settled};
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

}  // namespace plaza::bench
