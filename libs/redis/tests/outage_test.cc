#include <catch2/catch.hpp>

#include <chrono>
#include <thread>

#include "plaza/core/status.h"
#include "plaza/redis/redis.h"
#include "plaza/testing/testing.h"

using namespace std::chrono_literals;
using plaza::redis::Pool;
using plaza::redis::Reply;
using plaza::testing::RedisServer;

namespace {

template <typename T>
T Required(absl::StatusOr<T> result) {
  INFO(result.status().ToString());
  REQUIRE(result.ok());
  return *std::move(result);
}

}  // namespace

TEST_CASE("The pool recovers by itself after the Redis server dies and restarts", "[redis][db]") {
  RedisServer server({"--requirepass", "s3cret"});
  Pool pool({.url = server.Url(":s3cret@", 3),
             .max_connections = 2,
             .connect_timeout = 500ms,
             .command_timeout = 500ms});
  CHECK(Required(pool.Command({"SET", "greeting", "before"})) == Reply::Status("OK"));

  server.Stop();
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto start = std::chrono::steady_clock::now();
    absl::Status down = pool.Command({"GET", "greeting"}).status();
    INFO(down.ToString());
    CHECK(down.code() == absl::StatusCode::kUnavailable);
    CHECK(plaza::ReasonOf(down) == "REDIS_UNAVAILABLE");
    CHECK(std::chrono::steady_clock::now() - start < 1s);
  }

  server.Start();
  // The same pool, never recreated: the very first call after the restart succeeds.
  CHECK(Required(pool.Command({"SET", "greeting", "after"})) == Reply::Status("OK"));
  CHECK(Required(pool.Command({"GET", "greeting"})).str() == "after");
  CHECK(pool.Ping().ok());

  // It logged in again and selected database 3 again on the new connections.
  Pool db0({.url = server.Url(":s3cret@", 0)});
  CHECK(Required(db0.Command({"GET", "greeting"})).is_nil());
}

TEST_CASE("A rejected login is UNAVAILABLE and a user name logs in through ACL", "[redis][db]") {
  RedisServer server({"--requirepass", "s3cret", "--user", "alice", "on", ">pw", "~*", "+@all"});

  Pool wrong({.url = server.Url(":wrong@", 0)});
  absl::Status status = wrong.Ping();
  CHECK(status.code() == absl::StatusCode::kUnavailable);
  CHECK(plaza::ReasonOf(status) == "REDIS_UNAVAILABLE");

  Pool bad_database({.url = server.Url(":s3cret@", 99)});
  CHECK(plaza::ReasonOf(bad_database.Ping()) == "REDIS_UNAVAILABLE");

  Pool alice({.url = server.Url("alice:pw@", 0)});
  CHECK(Required(alice.Command({"ACL", "WHOAMI"})).str() == "alice");
}
