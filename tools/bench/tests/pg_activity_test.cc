#include "tools/bench/pg_activity.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <optional>

using plaza::bench::CostPerOperation;
using plaza::bench::PgActivity;
using plaza::bench::PgCost;
using plaza::bench::PgRates;
using plaza::bench::RatesBetween;
using plaza::bench::SettleWatch;
using namespace std::chrono_literals;

namespace {

const std::chrono::steady_clock::time_point kStart{};

PgActivity Reading(std::chrono::milliseconds at, int64_t messages, int64_t conversations,
                   int64_t commits, std::optional<int64_t> statements = std::nullopt) {
  return {.at = kStart + at,
          .rows_by_table = {{"messages", messages}, {"conversations", conversations}},
          .xact_commit = commits,
          .statements = statements};
}

}  // namespace

TEST_CASE("SettleWatch waits until the row counters stop moving for the quiet time",
          "[bench][pg_activity]") {
  SettleWatch watch(kStart, 1500ms);
  CHECK_FALSE(watch.Add(Reading(0ms, 10, 5, 100)));
  CHECK_FALSE(watch.Add(Reading(100ms, 20, 8, 100)));  // a backend flushed
  // Commits moving (a service's periodic job) do not keep it from settling.
  CHECK_FALSE(watch.Add(Reading(1000ms, 20, 8, 101)));
  CHECK_FALSE(watch.Add(Reading(1500ms, 20, 8, 102)));
  CHECK(watch.Add(Reading(1600ms, 20, 8, 102)));        // 1.5 s since the rows last moved
  CHECK_FALSE(watch.Add(Reading(1700ms, 21, 8, 102)));  // a late flush starts it over
  CHECK(watch.Add(Reading(3200ms, 21, 8, 102)));
}

TEST_CASE("SettleWatch waits for the flush delay however quiet it is", "[bench][pg_activity]") {
  // The load ended at 0: a backend may still flush until 10.5 s.
  SettleWatch watch(kStart + plaza::bench::kPgFlushDelay, 1500ms);
  CHECK_FALSE(watch.Add(Reading(0ms, 10, 5, 100)));
  CHECK_FALSE(watch.Add(Reading(5000ms, 10, 5, 100)));
  CHECK_FALSE(watch.Add(Reading(10'400ms, 10, 5, 100)));
  CHECK(watch.Add(Reading(10'500ms, 10, 5, 100)));
}

TEST_CASE("SettleWatch sees a table appear as a change", "[bench][pg_activity]") {
  SettleWatch watch(kStart, 1s);
  CHECK_FALSE(watch.Add({.at = kStart, .rows_by_table = {{"messages", 1}}}));
  CHECK_FALSE(watch.Add({.at = kStart + 1s, .rows_by_table = {{"messages", 1}, {"members", 0}}}));
  CHECK(watch.Add({.at = kStart + 2s, .rows_by_table = {{"messages", 1}, {"members", 0}}}));
}

TEST_CASE("RatesBetween is the increase per second", "[bench][pg_activity]") {
  PgRates rates = RatesBetween(Reading(0ms, 10, 0, 100, 50), Reading(2000ms, 14, 0, 103, 56));
  CHECK(rates.rows_per_second == Approx(2));
  CHECK(rates.xact_per_second == Approx(1.5));
  CHECK(rates.statements_per_second == Approx(3));
  PgRates without = RatesBetween(Reading(0ms, 10, 0, 100), Reading(2000ms, 10, 0, 100, 9));
  CHECK(without.statements_per_second == 0);
  PgRates backwards = RatesBetween(Reading(10ms, 10, 0, 100), Reading(0ms, 20, 0, 200));
  CHECK(backwards.xact_per_second == 0);
}

TEST_CASE("CostPerOperation takes the idle cluster's activity off", "[bench][pg_activity]") {
  // 100 sends in 10 s: 100 message inserts and 100 conversation updates, 104 commits of which
  // 10 s x 0.4/s were a periodic job, 410 statements of which 10 s x 1/s were that job's.
  PgActivity before = Reading(0ms, 1000, 500, 7000, 20000);
  PgActivity after = Reading(10'000ms, 1100, 600, 7104, 20410);
  PgRates idle{.rows_per_second = 0, .xact_per_second = 0.4, .statements_per_second = 1};
  PgCost cost = CostPerOperation(before, after, idle, 100);
  CHECK(cost.rows == Approx(2));
  CHECK(cost.xact == Approx(1));
  CHECK(cost.statements == Approx(4));
  CHECK(cost.rows_by_table.at("messages") == Approx(1));
  CHECK(cost.rows_by_table.at("conversations") == Approx(1));
}

TEST_CASE("CostPerOperation: new tables count from 0, unchanged ones are left out",
          "[bench][pg_activity]") {
  PgActivity before{.at = kStart, .rows_by_table = {{"messages", 5}, {"user_settings", 3}}};
  PgActivity after{.at = kStart + 1s,
                   .rows_by_table = {{"messages", 15}, {"user_settings", 3}, {"members", 4}}};
  PgCost cost = CostPerOperation(before, after, {}, 10);
  CHECK(cost.rows == Approx(1.4));
  CHECK(cost.rows_by_table.size() == 2);
  CHECK(cost.rows_by_table.at("members") == Approx(0.4));
  CHECK(std::isnan(cost.statements));  // no pg_stat_statements
}

TEST_CASE("CostPerOperation without operations is unknown", "[bench][pg_activity]") {
  PgCost cost = CostPerOperation(Reading(0ms, 1, 1, 1, 1), Reading(1000ms, 2, 2, 2, 2), {}, 0);
  CHECK(std::isnan(cost.rows));
  CHECK(std::isnan(cost.xact));
  CHECK(std::isnan(cost.statements));
}
