#include "tools/bench/pg_activity.h"

#include <algorithm>
#include <limits>

namespace plaza::bench {
namespace {

double SecondsBetween(const PgActivity& before, const PgActivity& after) {
  return std::chrono::duration<double>(after.at - before.at).count();
}

}  // namespace

int64_t PgActivity::rows() const {
  int64_t total = 0;
  for (const auto& [table, count] : rows_by_table) total += count;
  return total;
}

bool SettleWatch::Add(const PgActivity& reading) {
  if (!last_ || last_->rows_by_table != reading.rows_by_table) unchanged_since_ = reading.at;
  last_ = reading;
  return reading.at >= not_before_ && reading.at - unchanged_since_ >= quiet_;
}

PgRates RatesBetween(const PgActivity& before, const PgActivity& after) {
  const double seconds = SecondsBetween(before, after);
  if (!(seconds > 0)) return {};
  PgRates rates{
      .rows_per_second = static_cast<double>(after.rows() - before.rows()) / seconds,
      .xact_per_second = static_cast<double>(after.xact_commit - before.xact_commit) / seconds};
  if (before.statements && after.statements) {
    rates.statements_per_second =
        static_cast<double>(*after.statements - *before.statements) / seconds;
  }
  return rates;
}

PgCost CostPerOperation(const PgActivity& before, const PgActivity& after,
                        const PgRates& background, int64_t operations) {
  constexpr double kUnknown = std::numeric_limits<double>::quiet_NaN();
  if (operations <= 0) {
    return {.rows = kUnknown, .xact = kUnknown, .statements = kUnknown};
  }
  const double seconds = std::max(0.0, SecondsBetween(before, after));
  const auto per_operation = [&](int64_t increase, double background_per_second) {
    return (static_cast<double>(increase) - background_per_second * seconds) /
           static_cast<double>(operations);
  };
  PgCost cost{
      .rows = per_operation(after.rows() - before.rows(), background.rows_per_second),
      .xact = per_operation(after.xact_commit - before.xact_commit, background.xact_per_second),
      .statements = kUnknown};
  if (before.statements && after.statements) {
    cost.statements =
        per_operation(*after.statements - *before.statements, background.statements_per_second);
  }
  auto count = [](const PgActivity& reading, const std::string& table) -> int64_t {
    auto it = reading.rows_by_table.find(table);
    return it == reading.rows_by_table.end() ? 0 : it->second;
  };
  for (const auto& [table, rows_after] : after.rows_by_table) {
    const int64_t increase = rows_after - count(before, table);
    if (increase != 0) {
      cost.rows_by_table[table] = static_cast<double>(increase) / static_cast<double>(operations);
    }
  }
  return cost;
}

}  // namespace plaza::bench
