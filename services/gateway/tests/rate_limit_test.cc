#include "services/gateway/rate_limit.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <string>
#include <thread>
#include <vector>

#include "plaza/core/status.h"

using namespace std::chrono_literals;
using plaza::core::FakeClock;
using plaza::gateway::BucketLimit;
using plaza::gateway::ParseRateLimitSpec;
using plaza::gateway::RateLimiter;
using plaza::gateway::RateLimitPolicy;
using plaza::gateway::TokenBuckets;

namespace {

// Tokens `key` grants in a row without the clock moving.
int Drain(TokenBuckets& buckets, const std::string& key, BucketLimit limit) {
  int granted = 0;
  while (granted < 1000 && !buckets.Take(key, limit)) ++granted;
  return granted;
}

RateLimitPolicy Policy(std::string_view spec) {
  auto parsed = ParseRateLimitSpec(spec);
  REQUIRE(parsed.ok());
  return RateLimitPolicy(*parsed);
}

}  // namespace

TEST_CASE("A bucket grants its burst, then refuses until it refills", "[gateway][rate_limit]") {
  FakeClock clock;
  TokenBuckets buckets(clock, 1000);
  const BucketLimit limit{.per_second = 5, .burst = 3};
  CHECK(Drain(buckets, "k", limit) == 3);
  CHECK(buckets.Take("k", limit) == 200ms);

  clock.Advance(199ms);
  CHECK(buckets.Take("k", limit) == 1ms);
  clock.Advance(1ms);
  CHECK_FALSE(buckets.Take("k", limit));
  CHECK(buckets.Take("k", limit) == 200ms);

  clock.Advance(400ms);
  CHECK(Drain(buckets, "k", limit) == 2);
  clock.Advance(1h);  // refills up to the burst, no further
  CHECK(Drain(buckets, "k", limit) == 3);
}

TEST_CASE("The retry hint is rounded up to when a token is really there", "[gateway][rate_limit]") {
  FakeClock clock;
  TokenBuckets buckets(clock, 1000);
  const BucketLimit limit{.per_second = 3, .burst = 1};
  CHECK_FALSE(buckets.Take("k", limit));
  CHECK(buckets.Take("k", limit) == 334ms);
  clock.Advance(333ms);
  CHECK(buckets.Take("k", limit) == 1ms);
  clock.Advance(1ms);
  CHECK_FALSE(buckets.Take("k", limit));

  const BucketLimit slow{.per_second = 0.5, .burst = 1};
  CHECK_FALSE(buckets.Take("slow", slow));
  CHECK(buckets.Take("slow", slow) == 2000ms);
}

TEST_CASE("Keys have buckets of their own", "[gateway][rate_limit]") {
  FakeClock clock;
  TokenBuckets buckets(clock, 1000);
  const BucketLimit limit{.per_second = 1, .burst = 2};
  CHECK(Drain(buckets, "a", limit) == 2);
  CHECK(Drain(buckets, "b", limit) == 2);
  CHECK(buckets.Take("a", limit));
  CHECK(buckets.size() == 2);
}

TEST_CASE("A new limit applies at once to a key's bucket", "[gateway][rate_limit]") {
  FakeClock clock;
  TokenBuckets buckets(clock, 1000);
  CHECK_FALSE(buckets.Take("k", {.per_second = 1, .burst = 10}));
  // Nine tokens were left, but the new burst is two.
  CHECK(Drain(buckets, "k", {.per_second = 1, .burst = 2}) == 2);
  clock.Advance(100ms);
  CHECK(Drain(buckets, "k", {.per_second = 10, .burst = 2}) == 1);
}

TEST_CASE("Buckets keep refilling when the wall clock steps back", "[gateway][rate_limit]") {
  FakeClock clock;
  TokenBuckets buckets(clock, 1000);
  const BucketLimit limit{.per_second = 5, .burst = 1};
  CHECK_FALSE(buckets.Take("k", limit));
  clock.Advance(-1h);
  CHECK(buckets.Take("k", limit) == 200ms);
  clock.Advance(200ms);
  CHECK_FALSE(buckets.Take("k", limit));
}

TEST_CASE("Rate limit specs parse", "[gateway][rate_limit]") {
  auto spec =
      ParseRateLimitSpec("public:ip=5/20 default:user=50/100,ip=500/1000 ;messaging:user=0.5/60;");
  REQUIRE(spec.ok());
  REQUIRE(spec->size() == 3);
  const auto& open = spec->at("public");
  CHECK_FALSE(open.per_user);
  REQUIRE(open.per_ip);
  CHECK(open.per_ip->per_second == 5);
  CHECK(open.per_ip->burst == 20);
  const auto& fallback = spec->at("default");
  REQUIRE(fallback.per_user);
  REQUIRE(fallback.per_ip);
  CHECK(fallback.per_user->per_second == 50);
  CHECK(fallback.per_user->burst == 100);
  CHECK(fallback.per_ip->per_second == 500);
  CHECK(fallback.per_ip->burst == 1000);
  const auto& messaging = spec->at("messaging");
  REQUIRE(messaging.per_user);
  CHECK(messaging.per_user->per_second == 0.5);
  CHECK_FALSE(messaging.per_ip);

  auto empty = ParseRateLimitSpec("  ");
  REQUIRE(empty.ok());
  CHECK(empty->empty());
}

TEST_CASE("Bad rate limit specs are refused naming the bad piece", "[gateway][rate_limit]") {
  // The spec, and the group entry its error names.
  auto [bad, named] = GENERATE(table<std::string, std::string>({
      {"public", "public"},                    // no limits
      {":ip=1/2", ":ip=1/2"},                  // no group
      {"pub!ic:ip=1/2", "pub!ic:ip=1/2"},      // bad group name
      {"a:", "a:"},                            // nothing after the colon
      {"a:ip=1", "a:ip=1"},                    // no burst
      {"a:ip1/2", "a:ip1/2"},                  // no '='
      {"a:ip=1/2,", "a:ip=1/2,"},              // trailing comma
      {"a:host=1/2", "a:host=1/2"},            // unknown dimension
      {"a:ip=1/2,ip=3/4", "a:ip=1/2,ip=3/4"},  // dimension twice
      {"a:ip=1/2 a:user=1/2", "a:user=1/2"},   // group twice
      {"a:ip=0/5", "a:ip=0/5"},                // zero rate
      {"a:ip=-1/5", "a:ip=-1/5"},              // negative rate
      {"a:ip=1e3/5", "a:ip=1e3/5"},            // exponent
      {"a:ip=inf/5", "a:ip=inf/5"},            // not a number
      {"a:ip=.5/5", "a:ip=.5/5"},              // no leading digit
      {"a:ip=5./5", "a:ip=5./5"},              // no trailing digit
      {"a:ip=1.2.3/5", "a:ip=1.2.3/5"},        // two points
      {"a:user=1/0.5", "a:user=1/0.5"},        // burst below 1
      {"a:ip=1/x", "a:ip=1/x"},                // burst not a number
      {"a:ip=1/99999999999999999999999999999999999999999999999999999999999999999999999999999999"
       "9999999999999999999999999999999999999999999999999999999999999999999999999999999999999999"
       "9999999999999999999999999999999999999999999999999999999999999999999999999999999999999999"
       "99999999999999999999999999999999999999999999999999999999999999999999999999999999999999",
       "a:ip=1/9999"},  // out of range
  }));
  INFO(bad);
  auto spec = ParseRateLimitSpec("default:ip=1/2 " + bad);
  REQUIRE_FALSE(spec.ok());
  CHECK(spec.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(plaza::ReasonOf(spec.status()) == "RATE_LIMITS_INVALID");
  CHECK_THAT(std::string(spec.status().message()), Catch::Contains("'" + named));
}

TEST_CASE("Groups not listed get the default limits", "[gateway][rate_limit]") {
  RateLimitPolicy policy = Policy("default:user=50/100 public:ip=5/20");
  CHECK(policy.LimitsFor("public").per_ip);
  CHECK_FALSE(policy.LimitsFor("public").per_user);  // listed groups inherit nothing
  CHECK(policy.LimitsFor("search").per_user->burst == 100);
  CHECK_FALSE(policy.LimitsFor("search").per_ip);

  RateLimitPolicy without_default = Policy("public:ip=5/20");
  CHECK_FALSE(without_default.LimitsFor("search").per_user);
  CHECK_FALSE(without_default.LimitsFor("search").per_ip);
}

TEST_CASE("A call needs a token from both the user's and the address's bucket",
          "[gateway][rate_limit]") {
  FakeClock clock;
  RateLimiter limiter(Policy("g:user=1/2,ip=1/3"), clock, 1000);
  CHECK_FALSE(limiter.Check("g", 7, "10.0.0.1"));
  CHECK_FALSE(limiter.Check("g", 7, "10.0.0.1"));
  CHECK(limiter.Check("g", 7, "10.0.0.1") == 1000ms);  // user 7 is out of tokens...
  CHECK_FALSE(limiter.Check("g", 8, "10.0.0.1"));      // ...and its refusal cost the address none
  CHECK(limiter.Check("g", 9, "10.0.0.1") == 1000ms);  // now the address is out
  CHECK_FALSE(limiter.Check("g", 9, "10.0.0.2"));

  // Anonymous callers are limited by address only.
  RateLimiter open(Policy("public:ip=1/2"), clock, 1000);
  CHECK_FALSE(open.Check("public", 0, "10.0.0.1"));
  CHECK_FALSE(open.Check("public", 0, "10.0.0.1"));
  CHECK(open.Check("public", 0, "10.0.0.1"));
  CHECK_FALSE(open.Check("public", 0, "10.0.0.2"));
}

TEST_CASE("Groups limited by the default still count separately", "[gateway][rate_limit]") {
  FakeClock clock;
  RateLimiter limiter(Policy("default:user=1/1"), clock, 1000);
  CHECK_FALSE(limiter.Check("search", 7, "10.0.0.1"));
  CHECK(limiter.Check("search", 7, "10.0.0.1"));
  CHECK_FALSE(limiter.Check("moments", 7, "10.0.0.1"));
  CHECK_FALSE(limiter.Check("unlimited-nowhere", 0, "10.0.0.1"));  // no ip limit in default
}

TEST_CASE("Eviction keeps the key count bounded and takes refilled buckets first",
          "[gateway][rate_limit]") {
  FakeClock clock;
  TokenBuckets buckets(clock, 64);
  const BucketLimit slow{.per_second = 1, .burst = 2};
  CHECK(Drain(buckets, "hot", slow) == 2);
  // Each of these is full again a millisecond after its one call, while "hot" needs a second.
  const BucketLimit fast{.per_second = 1000, .burst = 1};
  for (int i = 0; i < 500; ++i) {
    CHECK_FALSE(buckets.Take("flood-" + std::to_string(i), fast));
    clock.Advance(1ms);
  }
  CHECK(buckets.size() <= 64);
  // Least recently used, but not refilled: still owes its tokens.
  CHECK(buckets.Take("hot", slow));

  for (int i = 0; i < 10'000; ++i) buckets.Take("more-" + std::to_string(i), slow);
  CHECK(buckets.size() <= 64);
  CHECK(buckets.size() >= 32);
}

TEST_CASE(
    "With nothing refilled the least recently used bucket goes, and comes back no fuller "
    "than its burst",
    "[gateway][rate_limit]") {
  FakeClock clock;
  TokenBuckets buckets(clock, 3, 1);
  const BucketLimit limit{.per_second = 1, .burst = 5};
  for (const char* key : {"a", "b", "c", "a"}) CHECK_FALSE(buckets.Take(key, limit));
  CHECK_FALSE(buckets.Take("d", limit));  // evicts b, the least recently used
  CHECK(buckets.size() == 3);
  CHECK(Drain(buckets, "a", limit) == 3);
  CHECK(Drain(buckets, "c", limit) == 4);
  CHECK(Drain(buckets, "b", limit) == 5);  // a new bucket: its burst and no more
  CHECK(buckets.size() == 3);
}

TEST_CASE("A key in use survives churn and never beats its rate", "[gateway][rate_limit]") {
  FakeClock clock;
  TokenBuckets buckets(clock, 4, 1);
  const BucketLimit limit{.per_second = 10, .burst = 5};
  int granted = 0;
  int other = 0;
  for (int step = 0; step < 1000; ++step) {
    if (!buckets.Take("hot", limit)) ++granted;
    for (int i = 0; i < 3; ++i) buckets.Take("other-" + std::to_string(other++), limit);
    clock.Advance(7ms);
  }
  const double elapsed = 999 * 0.007;
  CHECK(granted <= 5 + static_cast<int>(10 * elapsed));
  CHECK(granted >= static_cast<int>(10 * elapsed));
  CHECK(buckets.size() == 4);
}

TEST_CASE("Concurrent takers never get more than burst plus refill", "[gateway][rate_limit]") {
  FakeClock clock;
  TokenBuckets buckets(clock, 1000);
  const BucketLimit limit{.per_second = 100, .burst = 10};
  constexpr int kThreads = 4;
  std::atomic<bool> done{false};
  std::atomic<int64_t> attempts{0};
  std::atomic<int> shared_granted{0};
  std::vector<int> own_granted(kThreads, 0);
  std::vector<std::thread> takers;
  takers.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    takers.emplace_back([&, t] {
      std::string own = "own-" + std::to_string(t);
      while (!done.load()) {
        if (!buckets.Take("shared", limit)) ++shared_granted;
        if (!buckets.Take(own, limit)) ++own_granted[t];
        ++attempts;
      }
    });
  }
  // Waits until the takers have made `more` attempts, or got `grants` tokens if that comes first.
  auto wait_for = [&](int64_t more, int grants) {
    const int64_t until = attempts.load() + more;
    while (attempts.load() < until && shared_granted.load() < grants) std::this_thread::yield();
  };
  wait_for(1'000'000, 10);
  // Each step refills exactly one token, and all the takers race for it.
  for (int step = 1; step <= 50; ++step) {
    clock.Advance(10ms);
    wait_for(1'000'000, 10 + step);
  }
  wait_for(10'000, 1'000'000);  // and then for tokens that are not there
  done = true;
  for (auto& taker : takers) taker.join();
  CHECK(shared_granted.load() == 10 + 50);
  for (int granted : own_granted) CHECK(granted <= 10 + 50);
}
