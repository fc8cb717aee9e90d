#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <latch>
#include <optional>
#include <thread>

#include "plaza/core/logging.h"
#include "plaza/core/status.h"
#include "plaza/redis/redis.h"
#include "plaza/testing/testing.h"

using namespace std::chrono_literals;
using plaza::ReasonOf;
using plaza::redis::Pool;
using plaza::redis::PoolOptions;
using plaza::redis::Reply;
using plaza::redis::Script;

namespace {

// The Redis named by PLAZA_TEST_REDIS_URL; a missing variable fails the test.
PoolOptions SharedRedis() { return {.url = plaza::testing::TestRedisUrl(), .max_connections = 4}; }

// The value of an OK result; fails the test with the status otherwise.
template <typename T>
T Ok(absl::StatusOr<T> result) {
  INFO(result.status().ToString());
  REQUIRE(result.ok());
  return *std::move(result);
}

void CheckUnavailable(const absl::Status& status, std::string_view reason) {
  INFO(status.ToString());
  CHECK(status.code() == absl::StatusCode::kUnavailable);
  CHECK(ReasonOf(status) == reason);
}

// 16 random hex digits naming this run of the tests.
const std::string& RunId() {
  static const std::string id = plaza::core::NewRequestId();
  return id;
}

// Keys under a prefix unique to this run, deleted when the test ends, so that runs sharing a
// Redis never see each other's data. The hash tag keeps them in one Redis Cluster slot.
class TestKeys {
 public:
  explicit TestKeys(Pool& pool) : pool_(pool) {}
  ~TestKeys() {
    if (names_.empty()) return;
    std::vector<std::string> del = {"DEL"};
    del.insert(del.end(), names_.begin(), names_.end());
    // Best effort: a test that already failed need not fail again here.
    static_cast<void>(pool_.Command(del));
  }
  TestKeys(const TestKeys&) = delete;
  TestKeys& operator=(const TestKeys&) = delete;

  std::string operator()(std::string_view name) {
    names_.push_back("plaza:test:{" + RunId() + "}:" + std::string(name));
    return names_.back();
  }

 private:
  Pool& pool_;
  std::vector<std::string> names_;
};

std::chrono::milliseconds Since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               start);
}

}  // namespace

TEST_CASE("Commands store and read strings, integers, lists and nil", "[redis][db]") {
  Pool pool(SharedRedis());
  TestKeys key(pool);
  REQUIRE(pool.Ping().ok());

  std::string greeting = key("greeting");
  CHECK(Ok(pool.Command({"SET", greeting, "hello", "PX", "60000"})) == Reply::Status("OK"));
  CHECK(Ok(pool.Command({"GET", greeting})) == Reply::String("hello"));
  CHECK(Ok(pool.Command({"GET", key("missing")})).is_nil());

  std::string counter = key("counter");
  CHECK(Ok(pool.Command({"INCRBY", counter, "5"})).integer() == 5);
  CHECK(Ok(pool.Command(std::vector<std::string>{"INCR", counter})).integer() == 6);

  std::string list = key("list");
  CHECK(Ok(pool.Command({"RPUSH", list, "a", "b"})).integer() == 2);
  CHECK(Ok(pool.Command({"LRANGE", list, "0", "-1"})) ==
        Reply::Array({Reply::String("a"), Reply::String("b")}));
}

TEST_CASE("Values and keys with embedded NUL bytes round-trip unchanged", "[redis][db]") {
  Pool pool(SharedRedis());
  TestKeys key(pool);
  const std::string value("a\0b\0\xff", 5);
  const std::string binary_key = key(std::string("bin\0key", 7));

  Ok(pool.Command({"SET", binary_key, value}));
  CHECK(Ok(pool.Command({"GET", binary_key})).str() == value);
  CHECK(Ok(pool.Command({"STRLEN", binary_key})).integer() == 5);

  const std::string hash = key("hash");
  const std::string field("f\0", 2);
  Ok(pool.Command(std::vector<std::string>{"HSET", hash, field, value}));
  CHECK(Ok(pool.Command(std::vector<std::string>{"HGET", hash, field})).str() == value);
  CHECK(Ok(pool.Command({"HGET", hash, "f"})).is_nil());
}

TEST_CASE("An error reply is INTERNAL with reason REDIS_ERROR and the connection stays usable",
          "[redis][db]") {
  Pool pool({.url = plaza::testing::TestRedisUrl(), .max_connections = 1});
  TestKeys key(pool);
  const std::string text = key("text");
  Ok(pool.Command({"SET", text, "words"}));

  absl::StatusOr<Reply> wrong = pool.Command({"LPUSH", text, "x"});
  CHECK(wrong.status().code() == absl::StatusCode::kInternal);
  CHECK(ReasonOf(wrong.status()) == "REDIS_ERROR");
  CHECK(std::string(wrong.status().message()).starts_with("WRONGTYPE"));
  CHECK(Ok(pool.Command({"GET", text})).str() == "words");

  CHECK(ReasonOf(pool.Command({"NOSUCHCOMMAND"}).status()) == "REDIS_ERROR");
  CHECK(ReasonOf(pool.Command(std::vector<std::string>{}).status()) == "REDIS_ERROR");
  CHECK(pool.Ping().ok());
}

TEST_CASE("A leased connection runs MULTI/EXEC and reports a failed command as an error element",
          "[redis][db]") {
  Pool pool(SharedRedis());
  TestKeys key(pool);
  const std::string text = key("text");
  Ok(pool.Command({"SET", text, "words"}));

  Pool::Connection connection = Ok(pool.Acquire());
  CHECK(Ok(connection.Command({"MULTI"})) == Reply::Status("OK"));
  CHECK(Ok(connection.Command({"INCR", text})) == Reply::Status("QUEUED"));
  CHECK(Ok(connection.Command({"GET", text})) == Reply::Status("QUEUED"));
  Reply exec = Ok(connection.Command({"EXEC"}));
  REQUIRE(exec.elements().size() == 2);
  CHECK(exec.elements()[0].type() == Reply::Type::kError);
  CHECK(exec.elements()[0].str().starts_with("ERR"));
  CHECK(exec.elements()[1] == Reply::String("words"));
}

TEST_CASE("A pipeline answers every command in order", "[redis][db]") {
  Pool pool(SharedRedis());
  TestKeys key(pool);
  const std::string counter = key("counter");

  std::vector<Reply> replies = Ok(pool.Pipeline(
      {{"SET", counter, "1"}, {"INCR", counter}, {"GET", counter}, {"GET", key("missing")}}));
  REQUIRE(replies.size() == 4);
  CHECK(replies[0] == Reply::Status("OK"));
  CHECK(replies[1] == Reply::Integer(2));
  CHECK(replies[2] == Reply::String("2"));
  CHECK(replies[3].is_nil());

  std::vector<std::vector<std::string>> many(1000, {"INCR", counter});
  std::vector<Reply> counted = Ok(pool.Pipeline(many));
  REQUIRE(counted.size() == 1000);
  for (size_t i = 0; i < counted.size(); ++i) REQUIRE(counted[i].integer() == int64_t(i) + 3);

  CHECK(Ok(pool.Pipeline({})).empty());
}

TEST_CASE("A pipeline with an error reply fails as a whole after running every command",
          "[redis][db]") {
  Pool pool({.url = plaza::testing::TestRedisUrl(), .max_connections = 1});
  TestKeys key(pool);
  const std::string text = key("text"), after = key("after");

  auto result = pool.Pipeline({{"SET", text, "words"}, {"INCR", text}, {"SET", after, "ran"}});
  CHECK(result.status().code() == absl::StatusCode::kInternal);
  CHECK(ReasonOf(result.status()) == "REDIS_ERROR");
  CHECK_THAT(std::string(result.status().message()),
             Catch::StartsWith("ERR") && Catch::EndsWith("(pipeline command 2 of 3)"));
  CHECK(Ok(pool.Command({"GET", after})).str() == "ran");

  CHECK(ReasonOf(pool.Pipeline({{"PING"}, {}}).status()) == "REDIS_ERROR");
  CHECK(Ok(pool.Command({"ECHO", "in sync"})).str() == "in sync");
}

TEST_CASE("Script SHA1 matches the one Redis computes", "[redis][db]") {
  Pool pool(SharedRedis());
  Script script("return 'sha check'");
  CHECK(Ok(pool.Command({"SCRIPT", "LOAD", script.source()})).str() == script.sha1());
}

TEST_CASE("Script falls back to EVAL after SCRIPT FLUSH", "[redis][db]") {
  Pool pool(SharedRedis());
  TestKeys key(pool);
  const std::string counter = key("counter");
  // Unique to this run, so that a concurrent run sharing the Redis never loads it for us.
  Script script("-- " + RunId() +
                "\nreturn {KEYS[1], ARGV[1], redis.call('INCRBY', KEYS[1], ARGV[1])}");

  CHECK(Ok(pool.Eval(script, {counter}, {"3"})) ==
        Reply::Array({Reply::String(counter), Reply::String("3"), Reply::Integer(3)}));

  Ok(pool.Command({"SCRIPT", "FLUSH"}));
  absl::StatusOr<Reply> by_sha = pool.Command({"EVALSHA", script.sha1(), "1", counter, "1"});
  REQUIRE_THAT(std::string(by_sha.status().message()), Catch::StartsWith("NOSCRIPT"));

  CHECK(Ok(pool.Eval(script, {counter}, {"4"})).elements().at(2).integer() == 7);
  CHECK(Ok(pool.Eval(script, {counter}, {"1"})).elements().at(2).integer() == 8);
}

TEST_CASE("A script's error reply is INTERNAL carrying the script's text", "[redis][db]") {
  Pool pool(SharedRedis());
  Script script("return redis.error_reply('INSUFFICIENT_FUNDS balance too low')");
  auto result = pool.Eval(script, {}, {});
  CHECK(result.status().code() == absl::StatusCode::kInternal);
  CHECK(ReasonOf(result.status()) == "REDIS_ERROR");
  CHECK(std::string(result.status().message()) == "INSUFFICIENT_FUNDS balance too low");
}

TEST_CASE("The pool lends at most max_connections and the excess caller gets UNAVAILABLE",
          "[redis][db]") {
  constexpr int kMax = 2;
  constexpr int kCallers = kMax + 1;
  Pool pool(
      {.url = plaza::testing::TestRedisUrl(), .max_connections = kMax, .acquire_timeout = 200ms});
  REQUIRE(pool.Ping().ok());

  // Holders keep their connection until every caller has had its answer, so exactly one of
  // them must time out. Catch assertions are not thread-safe: threads only record.
  std::latch answered(kCallers);
  std::vector<absl::Status> outcomes(kCallers);
  std::vector<std::chrono::milliseconds> waited(kCallers);
  std::vector<std::thread> callers;
  for (int i = 0; i < kCallers; ++i) {
    callers.emplace_back([&, i] {
      auto start = std::chrono::steady_clock::now();
      absl::StatusOr<Pool::Connection> connection = pool.Acquire();
      waited[i] = Since(start);
      outcomes[i] = connection.ok() ? connection->Command({"PING"}).status() : connection.status();
      answered.count_down();
      answered.wait();
    });
  }
  for (auto& caller : callers) caller.join();

  int served = 0;
  for (int i = 0; i < kCallers; ++i) {
    if (outcomes[i].ok()) {
      ++served;
    } else {
      CheckUnavailable(outcomes[i], "REDIS_BUSY");
      CHECK(waited[i] >= 200ms);
    }
  }
  CHECK(served == kMax);
  CHECK(pool.Ping().ok());
}

TEST_CASE("A waiting caller gets the connection as soon as it is returned", "[redis][db]") {
  Pool pool(
      {.url = plaza::testing::TestRedisUrl(), .max_connections = 1, .acquire_timeout = 5000ms});
  std::optional<Pool::Connection> held(Ok(pool.Acquire()));
  std::thread returner([&] {
    std::this_thread::sleep_for(100ms);
    held.reset();
  });
  auto start = std::chrono::steady_clock::now();
  absl::StatusOr<Pool::Connection> next = pool.Acquire();
  auto waited = Since(start);
  returner.join();
  CHECK(next.ok());
  CHECK(waited < 2000ms);
}

TEST_CASE("A closed port is UNAVAILABLE quickly and leaks no pool slot", "[redis][db]") {
  Pool pool({.url = "redis://127.0.0.1:" + std::to_string(plaza::testing::FreePort()),
             .max_connections = 1,
             .connect_timeout = 3000ms,
             .acquire_timeout = 0ms});
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto start = std::chrono::steady_clock::now();
    absl::Status status = pool.Ping();
    CheckUnavailable(status, "REDIS_UNAVAILABLE");
    CHECK(Since(start) < 1000ms);
  }
}

TEST_CASE("Calls succeed again after Redis kills the pool's connections", "[redis][db]") {
  constexpr int kMax = 3;
  Pool pool({.url = plaza::testing::TestRedisUrl(), .max_connections = kMax});
  Pool admin({.url = plaza::testing::TestRedisUrl(), .max_connections = 1});
  TestKeys key(pool);
  const std::string counter = key("counter");
  auto client_id = [](Pool::Connection& connection) {
    return std::to_string(Ok(connection.Command({"CLIENT", "ID"})).integer());
  };
  auto kill = [&](const std::string& id) {
    CHECK(Ok(admin.Command({"CLIENT", "KILL", "ID", id})).integer() == 1);
  };

  SECTION("idle connections") {
    std::vector<std::string> ids;
    {
      std::vector<Pool::Connection> leases;
      for (int i = 0; i < kMax; ++i) {
        leases.push_back(Ok(pool.Acquire()));
        ids.push_back(client_id(leases.back()));
      }
    }
    for (const auto& id : ids) kill(id);
    for (int i = 1; i <= 10; ++i) CHECK(Ok(pool.Command({"INCR", counter})).integer() == i);
  }

  SECTION("a connection in use") {
    {
      Pool::Connection connection = Ok(pool.Acquire());
      std::string id = client_id(connection);
      kill(id);
      CheckUnavailable(connection.Command({"INCR", counter}).status(), "REDIS_UNAVAILABLE");
      // The lease stays failed rather than quietly continuing on another socket.
      CheckUnavailable(connection.Command({"PING"}).status(), "REDIS_UNAVAILABLE");
    }
    CHECK(Ok(pool.Command({"INCR", counter})).integer() == 1);
    CHECK(pool.Ping().ok());
  }
}

TEST_CASE("A timed-out command never hands its late reply to the next caller", "[redis][db]") {
  Pool pool(
      {.url = plaza::testing::TestRedisUrl(), .max_connections = 1, .command_timeout = 200ms});
  TestKeys key(pool);
  auto start = std::chrono::steady_clock::now();
  absl::StatusOr<Reply> blocked = pool.Command({"BLPOP", key("never-filled"), "1"});
  CheckUnavailable(blocked.status(), "REDIS_UNAVAILABLE");
  CHECK(Since(start) < 900ms);
  CHECK(Ok(pool.Command({"ECHO", "fresh"})).str() == "fresh");
}

TEST_CASE("Concurrent callers share a small pool safely", "[redis][db]") {
  Pool pool({.url = plaza::testing::TestRedisUrl(), .max_connections = 3});
  TestKeys key(pool);
  const std::string counter = key("counter");
  constexpr int kThreads = 8;
  constexpr int kIncrements = 200;
  std::atomic<int> failures = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kIncrements; ++i) {
        if (!pool.Command({"INCR", counter}).ok()) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(failures == 0);
  CHECK(Ok(pool.Command({"GET", counter})).str() == std::to_string(kThreads * kIncrements));
}

TEST_CASE("A closed pool answers UNAVAILABLE", "[redis][db]") {
  Pool pool(SharedRedis());
  REQUIRE(pool.Ping().ok());
  pool.Close();
  CheckUnavailable(pool.Ping(), "REDIS_UNAVAILABLE");
}
