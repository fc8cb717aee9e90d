#include "plaza/redis/rate_limiter.h"

namespace plaza::redis {
namespace {

// INCR and the expiry on the first hit happen atomically, so a window can never lose its TTL.
constexpr const char* kFixedWindow = R"lua(
local hits = redis.call('INCR', KEYS[1])
if hits == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {hits, redis.call('PTTL', KEYS[1])}
)lua";

}  // namespace

RateLimiter::RateLimiter(Pool& redis) : redis_(redis), script_(kFixedWindow) {}

absl::StatusOr<RateDecision> RateLimiter::Hit(const RateLimit& limit, std::string_view subject) {
  // The subject is the hash tag, keeping one subject's windows on one Redis Cluster slot.
  std::string key = "plaza:rate:" + limit.name + ":{" + std::string(subject) + "}";
  auto reply = redis_.Eval(script_, {key}, {std::to_string(limit.window.count())});
  if (!reply.ok()) return reply.status();
  const auto& values = reply->elements();
  RateDecision decision;
  decision.allowed = values.at(0).integer() <= limit.limit;
  if (!decision.allowed) {
    decision.retry_after = std::chrono::milliseconds(std::max<int64_t>(values.at(1).integer(), 0));
  }
  return decision;
}

}  // namespace plaza::redis
