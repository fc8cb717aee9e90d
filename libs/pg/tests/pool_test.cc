#include <catch2/catch.hpp>

#include <atomic>
#include <latch>
#include <thread>

#include "plaza/pg/pool.h"
#include "plaza/testing/testing.h"

using plaza::pg::Isolation;
using plaza::pg::Pool;
using plaza::pg::PoolOptions;

namespace {

PoolOptions Options(const std::string& url, int max_connections = 4) {
  PoolOptions options;
  options.url = url;
  options.max_connections = max_connections;
  options.acquire_timeout = std::chrono::milliseconds(300);
  return options;
}

void CreateCounter(Pool& pool, const std::string& table) {
  REQUIRE(pool.Transact([&](pqxx::work& tx) {
    tx.exec("CREATE TABLE " + table + " (id int PRIMARY KEY, n int NOT NULL)");
    tx.exec("INSERT INTO " + table + " VALUES (1, 0)");
    return absl::OkStatus();
  }).ok());
}

int ReadCounter(Pool& pool, const std::string& table) {
  auto n = pool.Transact([&](pqxx::work& tx) -> absl::StatusOr<int> {
    return tx.exec1("SELECT n FROM " + table + " WHERE id = 1")[0].as<int>();
  });
  REQUIRE(n.ok());
  return *n;
}

}  // namespace

TEST_CASE("Transact commits on OK and rolls back on an error status", "[pg][db]") {
  plaza::testing::TestDatabase db;
  Pool pool(Options(db.url()));
  CreateCounter(pool, "counter");
  REQUIRE(pool.Transact([](pqxx::work& tx) {
    tx.exec("UPDATE counter SET n = n + 1");
    return absl::OkStatus();
  }).ok());
  auto refused = pool.Transact([](pqxx::work& tx) {
    tx.exec("UPDATE counter SET n = n + 100");
    return plaza::InvalidArgument("NOPE", "changed my mind");
  });
  CHECK(plaza::ReasonOf(refused) == "NOPE");
  CHECK(ReadCounter(pool, "counter") == 1);
}

TEST_CASE("Transact maps constraint violations to status codes", "[pg][db]") {
  plaza::testing::TestDatabase db;
  Pool pool(Options(db.url()));
  CreateCounter(pool, "counter");
  auto duplicate = pool.Transact([](pqxx::work& tx) {
    tx.exec("INSERT INTO counter VALUES (1, 5)");
    return absl::OkStatus();
  });
  CHECK(duplicate.code() == absl::StatusCode::kAlreadyExists);
  auto broken_sql = pool.Transact([](pqxx::work& tx) {
    tx.exec("SELECT no_such_column FROM counter");
    return absl::OkStatus();
  });
  CHECK(broken_sql.code() == absl::StatusCode::kInternal);
  CHECK(std::string(broken_sql.message()).find("no_such_column") == std::string::npos);
}

TEST_CASE("Serializable transactions retry conflicts and lose no update", "[pg][db]") {
  plaza::testing::TestDatabase db;
  auto options = Options(db.url());
  options.max_attempts = 100;
  Pool pool(options);
  CreateCounter(pool, "counter");
  constexpr int kThreads = 4, kIncrements = 25;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kIncrements; ++i) {
        auto status = pool.Transact([](pqxx::work& tx) {
          int n = tx.exec1("SELECT n FROM counter WHERE id = 1")[0].as<int>();
          tx.exec_params("UPDATE counter SET n = $1 WHERE id = 1", n + 1);
          return absl::OkStatus();
        }, Isolation::kSerializable);
        if (!status.ok()) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(failures == 0);
  CHECK(ReadCounter(pool, "counter") == kThreads * kIncrements);
}

TEST_CASE("The pool never opens more than its bound", "[pg][db]") {
  plaza::testing::TestDatabase db;
  Pool pool(Options(db.url(), 2));
  std::latch holding(2), release(1);
  std::vector<std::thread> holders;
  for (int i = 0; i < 2; ++i) {
    holders.emplace_back([&] {
      (void)pool.Transact([&](pqxx::work&) {
        holding.count_down();
        release.wait();
        return absl::OkStatus();
      });
    });
  }
  holding.wait();
  auto starved = pool.Ping();
  CHECK(starved.code() == absl::StatusCode::kUnavailable);
  CHECK(plaza::ReasonOf(starved) == "DATABASE_BUSY");
  release.count_down();
  for (auto& holder : holders) holder.join();
  CHECK(pool.Ping().ok());
}

TEST_CASE("An unreachable database fails fast with UNAVAILABLE", "[pg][db]") {
  Pool pool(Options("postgresql://postgres@127.0.0.1:" + std::to_string(plaza::testing::FreePort()) +
                    "/postgres"));
  auto started = std::chrono::steady_clock::now();
  auto status = pool.Ping();
  CHECK(status.code() == absl::StatusCode::kUnavailable);
  CHECK(plaza::ReasonOf(status) == "DATABASE_UNAVAILABLE");
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(5));
}

TEST_CASE("The pool recovers when its connections are killed", "[pg][db]") {
  plaza::testing::TestDatabase db;
  Pool pool(Options(db.url(), 3));
  CreateCounter(pool, "counter");
  // Open several pooled connections, then have the server terminate all of them.
  std::vector<std::thread> warmers;
  for (int i = 0; i < 3; ++i) warmers.emplace_back([&] { (void)pool.Ping(); });
  for (auto& warmer : warmers) warmer.join();
  {
    pqxx::connection admin(plaza::testing::RequireEnv("PLAZA_TEST_PG_URL"));
    pqxx::nontransaction tx(admin);
    tx.exec_params("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1",
                   db.name());
  }
  for (int i = 0; i < 5; ++i) {
    REQUIRE(pool.Transact([](pqxx::work& tx) {
      tx.exec("UPDATE counter SET n = n + 1");
      return absl::OkStatus();
    }).ok());
  }
  CHECK(ReadCounter(pool, "counter") == 5);
}
