#pragma once

// Reads PostgreSQL's cumulative statistics for PgActivity (pg_activity.h) without adding to
// them: the probe holds one read-only transaction open on a connection of its own from Open to
// its destruction (which rolls it back), and discards the statistics snapshot before each
// reading (pg_stat_clear_snapshot), so every reading is current while the probe commits nothing
// that xact_commit would count. Its own statements carry the alias plaza_bench_probe, by which
// the pg_stat_statements sum leaves them out. Not thread-safe; for one scenario's main thread.

#include <chrono>
#include <memory>
#include <pqxx/pqxx>
#include <string>

#include "absl/status/statusor.h"
#include "tools/bench/pg_activity.h"

namespace plaza::bench {

class PgProbe {
 public:
  // Connects to `url` and begins the transaction; the rows counted are those of `schema`'s
  // tables. Finds out whether pg_stat_statements can be read (the extension is created in this
  // database and loaded by shared_preload_libraries). UNAVAILABLE if it cannot connect.
  static absl::StatusOr<std::unique_ptr<PgProbe>> Open(const std::string& url, std::string schema);
  ~PgProbe();

  bool has_statements() const { return has_statements_; }

  // The counters now.
  absl::StatusOr<PgActivity> Read();

  struct Settled {
    PgActivity reading;    // the last one
    bool settled = false;  // false: `bound` passed first
  };
  // Reads every 100 ms until kPgFlushDelay after `load_ended` and the row counters have not
  // moved for `quiet` (see SettleWatch), or `bound` has passed.
  absl::StatusOr<Settled> Settle(std::chrono::steady_clock::time_point load_ended,
                                 std::chrono::milliseconds quiet, std::chrono::milliseconds bound);

 private:
  PgProbe(std::unique_ptr<pqxx::connection> connection, std::string schema);

  std::string schema_;
  std::unique_ptr<pqxx::connection> connection_;
  std::unique_ptr<pqxx::read_transaction> tx_;
  bool has_statements_ = false;
};

}  // namespace plaza::bench
