#pragma once

// Per-user and per-IP token buckets, kept in this gateway instance's memory so that checking a
// call costs no Redis round trip. With N gateway instances each enforces the limit on its own,
// so a client could get up to N times the rate; in practice a client's calls ride one HTTP/2
// connection, which sticks to one instance, so the limit holds per connection and is only
// loosened for clients that deliberately open connections to several instances.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "plaza/core/clock.h"

namespace plaza::gateway {

// A bucket holding at most `burst` tokens, refilled at `per_second`; a call takes one token.
struct BucketLimit {
  double per_second;  // > 0
  double burst;       // >= 1
};

// Absent dimensions are not limited.
struct GroupLimits {
  std::optional<BucketLimit> per_user;
  std::optional<BucketLimit> per_ip;
};

// Limits by method group name. The comparator is transparent so lookups need no allocation.
using RateLimitSpec = std::map<std::string, GroupLimits, std::less<>>;

// Parses the `rate_limits` setting, e.g.
//   "public:ip=5/20 default:user=50/100,ip=500/1000 messaging:user=30/60"
// Groups are separated by spaces or ';' and written `<group>:<dim>=<rate>/<burst>[,...]` with
// <dim> `user` or `ip`, <rate> (tokens per second) a positive decimal number and <burst> a
// decimal number of at least 1. An empty spec limits nothing. INVALID_ARGUMENT
// (RATE_LIMITS_INVALID) naming the offending piece otherwise.
absl::StatusOr<RateLimitSpec> ParseRateLimitSpec(std::string_view spec);

class RateLimitPolicy {
 public:
  static constexpr std::string_view kDefaultGroup = "default";

  explicit RateLimitPolicy(RateLimitSpec groups);

  // The limits of `group` if it is listed (as a whole: a listed group inherits nothing from
  // `default`), else those of the `default` group, else none.
  const GroupLimits& LimitsFor(std::string_view group) const;

 private:
  RateLimitSpec groups_;
  GroupLimits fallback_;
};

// Token buckets by key. Thread-safe: keys are spread over shards, each with its own mutex.
//
// Memory is bounded by `max_keys` buckets. When a shard is full, a new key first evicts the
// buckets that have refilled completely (forgetting them loses nothing: a new bucket starts
// full), and only if there are none the least recently used one, which forgives whatever that
// key had spent. Size `max_keys` above the number of keys active within a refill period so that
// this stays rare.
//
// Time comes from the injected clock made monotonic: if the wall clock steps back, buckets
// neither refill nor wait for it to catch up; they carry on from the latest time seen.
class TokenBuckets {
 public:
  static constexpr size_t kDefaultShards = 32;

  // `max_keys` >= 1. Fewer shards than the default make eviction deterministic in tests.
  TokenBuckets(const core::Clock& clock, size_t max_keys, size_t shards = kDefaultShards);

  // Takes a token from `key`'s bucket under `limit` (which must satisfy BucketLimit's bounds,
  // as ParseRateLimitSpec guarantees). nullopt if taken; otherwise nothing is taken and the
  // result is how long until a token will be there (at least 1 ms), the client's retry hint.
  // A key whose limit changed is held to the new one at once: tokens above the new burst go.
  std::optional<std::chrono::milliseconds> Take(std::string_view key, const BucketLimit& limit);

  // Buckets currently held.
  size_t size() const;

 private:
  using Nanos = std::chrono::nanoseconds;

  struct Bucket {
    std::string key;
    double tokens;
    Nanos updated;  // monotonic time `tokens` was computed at
    Nanos full_at;  // when `tokens` reaches the burst of the limit last applied
  };

  struct Shard {
    mutable std::mutex mutex;
    std::list<Bucket> buckets;  // most recently used first
    // Views into Bucket::key, which list nodes keep in place.
    std::unordered_map<std::string_view, std::list<Bucket>::iterator> index;
    // No bucket in the shard is full before this, so eviction need not look for one sooner.
    Nanos earliest_full_at = Nanos::max();
    // Monotonic time: the wall clock plus `offset`, never below `latest`.
    Nanos offset{0};
    Nanos latest{0};
  };

  static Nanos MonotonicNow(Shard& shard, core::TimePoint now);
  void MakeRoom(Shard& shard, Nanos now);

  const core::Clock& clock_;
  std::vector<Shard> shards_;
  const size_t shard_capacity_;
};

// The rate limits of one gateway instance.
class RateLimiter {
 public:
  RateLimiter(RateLimitPolicy policy, const core::Clock& clock, size_t max_keys);

  // Checks a call of `group` by `user_id` (0 for an anonymous caller, who has no user limit)
  // from `ip`, taking a token from each limited bucket. Every group has buckets of its own, also
  // the groups that `default` limits. nullopt if allowed, otherwise how long until the call
  // would be allowed.
  std::optional<std::chrono::milliseconds> Check(std::string_view group, int64_t user_id,
                                                 std::string_view ip);

 private:
  const RateLimitPolicy policy_;
  TokenBuckets buckets_;
};

}  // namespace plaza::gateway
