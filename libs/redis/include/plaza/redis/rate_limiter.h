#pragma once

// Fixed-window rate limits kept in Redis, so every instance of a service shares the count.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "plaza/redis/redis.h"
#include "plaza/redis/script.h"

namespace plaza::redis {

struct RateLimit {
  std::string name;  // e.g. "code-per-phone"; part of the key
  int64_t limit;     // hits allowed per window
  std::chrono::milliseconds window;
};

struct RateDecision {
  bool allowed = true;
  std::chrono::milliseconds retry_after{0};  // until the window resets, when refused
};

class RateLimiter {
 public:
  explicit RateLimiter(Pool& redis);

  // Counts one hit of `subject` (a phone, an IP, a user id) against `limit`, in one round trip.
  // UNAVAILABLE if Redis is down: callers decide whether to fail closed.
  absl::StatusOr<RateDecision> Hit(const RateLimit& limit, std::string_view subject);

 private:
  Pool& redis_;
  const Script script_;
};

}  // namespace plaza::redis
