#include <catch2/catch.hpp>

#include <thread>

#include "plaza/pg/migrate.h"
#include "plaza/testing/testing.h"

using plaza::pg::Migrate;
using plaza::pg::Migration;
using plaza::pg::Pool;

namespace {

std::vector<Migration> Widgets() {
  return {
      {1, "0001_init", "CREATE TABLE widgets (id bigint PRIMARY KEY);"},
      {2, "0002_names", "ALTER TABLE widgets ADD COLUMN name text NOT NULL DEFAULT '';"},
  };
}

int64_t Count(Pool& pool, const std::string& sql) {
  auto n = pool.Transact([&](pqxx::work& tx) -> absl::StatusOr<int64_t> {
    return tx.exec1(sql)[0].as<int64_t>();
  });
  REQUIRE(n.ok());
  return *n;
}

}  // namespace

TEST_CASE("Migrate applies each migration once, in order, into the schema", "[pg][db]") {
  plaza::testing::TestDatabase db;
  Pool pool({.url = db.url()});
  REQUIRE(Migrate(pool, "shop", Widgets()).ok());
  REQUIRE(Migrate(pool, "shop", Widgets()).ok());
  CHECK(Count(pool, "SELECT count(*) FROM shop.schema_migrations") == 2);
  CHECK(Count(pool, "SELECT count(*) FROM information_schema.columns "
                    "WHERE table_schema = 'shop' AND table_name = 'widgets'") == 2);

  auto more = Widgets();
  more.push_back({3, "0003_index", "CREATE INDEX widgets_name ON widgets (name);"});
  REQUIRE(Migrate(pool, "shop", more).ok());
  CHECK(Count(pool, "SELECT max(version) FROM shop.schema_migrations") == 3);
}

TEST_CASE("Concurrent starters apply migrations exactly once", "[pg][db]") {
  plaza::testing::TestDatabase db;
  Pool pool({.url = db.url(), .max_connections = 4});
  auto counting = Widgets();
  counting.push_back({3, "0003_log", "CREATE TABLE applied_log (n int); INSERT INTO applied_log VALUES (1);"});
  std::vector<std::thread> starters;
  std::atomic<int> failures{0};
  for (int i = 0; i < 4; ++i) {
    starters.emplace_back([&] {
      if (!Migrate(pool, "shop", counting).ok()) ++failures;
    });
  }
  for (auto& starter : starters) starter.join();
  CHECK(failures == 0);
  CHECK(Count(pool, "SELECT count(*) FROM shop.applied_log") == 1);
}

TEST_CASE("Migrate refuses an edited migration and bad ordering", "[pg][db]") {
  plaza::testing::TestDatabase db;
  Pool pool({.url = db.url()});
  REQUIRE(Migrate(pool, "shop", Widgets()).ok());
  auto edited = Widgets();
  edited[0].sql = "CREATE TABLE widgets (id int PRIMARY KEY);";
  auto status = Migrate(pool, "shop", edited);
  CHECK(status.code() == absl::StatusCode::kFailedPrecondition);
  CHECK(plaza::ReasonOf(status) == "MIGRATION_CHANGED");

  std::vector<Migration> unordered = {Widgets()[1], Widgets()[0]};
  CHECK(Migrate(pool, "other", unordered).code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("A failing migration leaves nothing behind", "[pg][db]") {
  plaza::testing::TestDatabase db;
  Pool pool({.url = db.url()});
  auto broken = Widgets();
  broken.push_back({3, "0003_broken", "CREATE TABLE ok_table (id int); SELECT * FROM missing;"});
  CHECK_FALSE(Migrate(pool, "shop", broken).ok());
  CHECK(Count(pool, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'shop'") == 0);
}
