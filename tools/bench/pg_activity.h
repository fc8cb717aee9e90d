#pragma once

// What PostgreSQL's cumulative statistics say a piece of load cost (plaza-bench group: the rows
// and transactions one group send costs): readings of the counters, when they have stopped
// moving, and the difference per operation. Pure, unit-tested in tests/pg_activity_test.cc; the
// readings come from PgProbe (pg_probe.h).
//
// The counters are pg_stat_user_tables' n_tup_ins + n_tup_upd + n_tup_del per table of one
// schema, pg_stat_database's xact_commit of the database, and, where the pg_stat_statements
// extension is installed, the calls of every statement in that database. pg_stat_statements
// counts at once, but backends add to the other two only when they flush their pending
// statistics: at most once a second, and a backend that goes idle less than a second after its
// last flush waits PGSTAT_IDLE_INTERVAL (10 s in PostgreSQL 15 and 16) before the next one. So a
// reading that is to include some load waits until kPgFlushDelay after the load ended, and then
// until the row counters have stayed put for a while (SettleWatch).

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace plaza::bench {

// How long after its last transaction a backend may still hold unflushed statistics
// (PGSTAT_IDLE_INTERVAL and a margin).
inline constexpr std::chrono::milliseconds kPgFlushDelay{10'500};

struct PgActivity {
  std::chrono::steady_clock::time_point at;
  std::map<std::string, int64_t> rows_by_table;  // inserted + updated + deleted, by table name
  int64_t xact_commit = 0;
  std::optional<int64_t> statements;  // pg_stat_statements calls; nullopt without the extension

  int64_t rows() const;
};

// Feeds readings in time order and says when the row counters have settled: at `not_before` (the
// end of the load plus kPgFlushDelay) or later, and none of them has changed for `quiet`.
class SettleWatch {
 public:
  SettleWatch(std::chrono::steady_clock::time_point not_before,
              std::chrono::steady_clock::duration quiet)
      : not_before_(not_before), quiet_(quiet) {}

  // True once a reading is at `not_before` or later and the readings so far end in a stretch of
  // at least `quiet` without a change.
  bool Add(const PgActivity& reading);

 private:
  std::chrono::steady_clock::time_point not_before_;
  std::chrono::steady_clock::duration quiet_;
  std::optional<PgActivity> last_;
  std::chrono::steady_clock::time_point unchanged_since_;
};

// Counter increase per second between two readings: what runs when the bench does not (e.g. a
// service's periodic job), to be taken off a measurement.
struct PgRates {
  double rows_per_second = 0;
  double xact_per_second = 0;
  double statements_per_second = 0;  // 0 when either reading lacks statements
};

// Zero rates if `after` is not later than `before`.
PgRates RatesBetween(const PgActivity& before, const PgActivity& after);

// What one operation cost: (after - before - background over the time between them) /
// operations. Every figure is NaN if `operations` is not positive; statements also when either
// reading lacks them. A table that appears in only one reading counts from 0.
struct PgCost {
  double rows = 0;
  double xact = 0;
  double statements = 0;
  std::map<std::string, double> rows_by_table;  // without background correction
};
PgCost CostPerOperation(const PgActivity& before, const PgActivity& after,
                        const PgRates& background, int64_t operations);

}  // namespace plaza::bench
