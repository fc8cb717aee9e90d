#include <catch2/catch.hpp>

#include <random>

#include "plaza/redis/rate_limiter.h"
#include "plaza/testing/testing.h"

using plaza::redis::RateLimit;
using plaza::redis::RateLimiter;

TEST_CASE("Rate limiter allows the limit per window and says when to retry", "[redis][db]") {
  plaza::redis::Pool pool({.url = plaza::testing::TestRedisUrl()});
  RateLimiter limiter(pool);
  RateLimit limit{"test", 3, std::chrono::milliseconds(60'000)};
  std::string subject = "subject-" + std::to_string(std::random_device{}());
  for (int i = 0; i < 3; ++i) {
    auto decision = limiter.Hit(limit, subject);
    REQUIRE(decision.ok());
    CHECK(decision->allowed);
  }
  auto refused = limiter.Hit(limit, subject);
  REQUIRE(refused.ok());
  CHECK_FALSE(refused->allowed);
  CHECK(refused->retry_after > std::chrono::milliseconds(50'000));
  CHECK(refused->retry_after <= std::chrono::milliseconds(60'000));
  // Other subjects have their own windows.
  CHECK(limiter.Hit(limit, subject + "-other")->allowed);
}

TEST_CASE("Rate limit windows reset after they expire", "[redis][db]") {
  plaza::redis::Pool pool({.url = plaza::testing::TestRedisUrl()});
  RateLimiter limiter(pool);
  RateLimit limit{"short", 1, std::chrono::milliseconds(50)};
  std::string subject = "subject-" + std::to_string(std::random_device{}());
  CHECK(limiter.Hit(limit, subject)->allowed);
  CHECK_FALSE(limiter.Hit(limit, subject)->allowed);
  std::this_thread::sleep_for(std::chrono::milliseconds(120));
  CHECK(limiter.Hit(limit, subject)->allowed);
}
