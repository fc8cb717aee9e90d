#include "services/gateway/rate_limit.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <utility>

#include "plaza/core/status.h"

namespace plaza::gateway {
namespace {

// Refilling exactly one token's worth of time can land a rounding error short of a token, so
// this much less than a token counts as one.
constexpr double kTokenSlack = 1e-9;

absl::Status BadSpec(std::string_view piece, std::string_view why) {
  std::string message = "rate_limits: '";
  message.append(piece).append("' ").append(why);
  return InvalidArgument("RATE_LIMITS_INVALID", message);
}

// Only plain decimals such as "5" or "0.5": from_chars alone would also take "inf", "1e3", "-2".
std::optional<double> ParseDecimal(std::string_view text) {
  if (text.empty() || !std::isdigit(static_cast<unsigned char>(text.front())) ||
      !std::isdigit(static_cast<unsigned char>(text.back())) ||
      std::count(text.begin(), text.end(), '.') > 1 ||
      !std::all_of(text.begin(), text.end(), [](char c) {
        return std::isdigit(static_cast<unsigned char>(c)) || c == '.';
      })) {
    return std::nullopt;
  }
  double value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

bool ValidGroupName(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
}

absl::StatusOr<GroupLimits> ParseGroupLimits(std::string_view piece, std::string_view dims) {
  GroupLimits limits;
  // Empty items count: "a:" and "a:ip=1/2," are mistakes, not "no limit".
  for (size_t start = 0; start <= dims.size();) {
    size_t end = std::min(dims.find(',', start), dims.size());
    std::string_view item = dims.substr(start, end - start);
    start = end + 1;
    size_t equals = item.find('=');
    size_t slash = item.find('/');
    if (equals == std::string_view::npos || slash == std::string_view::npos || slash < equals) {
      return BadSpec(piece, "is not <group>:<user|ip>=<per second>/<burst>[,...]");
    }
    std::string_view dim = item.substr(0, equals);
    std::optional<BucketLimit>* slot = dim == "user" ? &limits.per_user
                                       : dim == "ip" ? &limits.per_ip
                                                     : nullptr;
    if (slot == nullptr) return BadSpec(piece, "limits neither 'user' nor 'ip'");
    if (slot->has_value()) return BadSpec(piece, "limits '" + std::string(dim) + "' twice");
    std::optional<double> rate = ParseDecimal(item.substr(equals + 1, slash - equals - 1));
    if (!rate || *rate <= 0) return BadSpec(piece, "needs a positive rate per second");
    std::optional<double> burst = ParseDecimal(item.substr(slash + 1));
    if (!burst || *burst < 1) return BadSpec(piece, "needs a burst of at least 1");
    *slot = BucketLimit{*rate, *burst};
  }
  return limits;
}

// Saturates at about 31 years instead of overflowing for absurdly slow rates.
std::chrono::nanoseconds SecondsToNanos(double seconds) {
  return std::chrono::nanoseconds(static_cast<int64_t>(std::ceil(std::min(seconds * 1e9, 1e18))));
}

}  // namespace

absl::StatusOr<RateLimitSpec> ParseRateLimitSpec(std::string_view spec) {
  RateLimitSpec groups;
  while (!spec.empty()) {
    size_t end = std::min(spec.find_first_of("; \t\n"), spec.size());
    std::string_view piece = spec.substr(0, end);
    spec.remove_prefix(std::min(end + 1, spec.size()));
    if (piece.empty()) continue;
    size_t colon = piece.find(':');
    if (colon == std::string_view::npos) {
      return BadSpec(piece, "is not <group>:<user|ip>=<per second>/<burst>[,...]");
    }
    std::string_view name = piece.substr(0, colon);
    if (!ValidGroupName(name)) return BadSpec(piece, "has no valid group name");
    PLAZA_ASSIGN_OR_RETURN(GroupLimits limits, ParseGroupLimits(piece, piece.substr(colon + 1)));
    if (!groups.emplace(name, limits).second) {
      return BadSpec(piece, "repeats group '" + std::string(name) + "'");
    }
  }
  return groups;
}

RateLimitPolicy::RateLimitPolicy(RateLimitSpec groups) : groups_(std::move(groups)) {
  if (auto it = groups_.find(kDefaultGroup); it != groups_.end()) fallback_ = it->second;
}

const GroupLimits& RateLimitPolicy::LimitsFor(std::string_view group) const {
  auto it = groups_.find(group);
  return it == groups_.end() ? fallback_ : it->second;
}

TokenBuckets::TokenBuckets(const core::Clock& clock, size_t max_keys, size_t shards)
    : clock_(clock),
      shards_(std::clamp<size_t>(shards, 1, std::max<size_t>(max_keys, 1))),
      shard_capacity_(std::max<size_t>(max_keys, 1) / shards_.size()) {}

std::optional<std::chrono::milliseconds> TokenBuckets::Take(std::string_view key,
                                                            const BucketLimit& limit) {
  Shard& shard = shards_[std::hash<std::string_view>{}(key) % shards_.size()];
  std::lock_guard lock(shard.mutex);
  // Read under the lock so that callers queued on it see time in the order they get it.
  const Nanos now = MonotonicNow(shard, clock_.Now());
  std::list<Bucket>::iterator bucket;
  if (auto found = shard.index.find(key); found != shard.index.end()) {
    bucket = found->second;
    shard.buckets.splice(shard.buckets.begin(), shard.buckets, bucket);
    double refill = limit.per_second * static_cast<double>((now - bucket->updated).count()) / 1e9;
    bucket->tokens = std::min(limit.burst, bucket->tokens + refill);
    bucket->updated = now;
  } else {
    if (shard.index.size() >= shard_capacity_) MakeRoom(shard, now);
    shard.buckets.push_front(Bucket{std::string(key), limit.burst, now, now});
    bucket = shard.buckets.begin();
    shard.index.emplace(bucket->key, bucket);
  }
  std::optional<std::chrono::milliseconds> wait;
  if (bucket->tokens >= 1 - kTokenSlack) {
    bucket->tokens -= 1;
  } else {
    // Rounded up, so a client retrying exactly then finds the token (and never waits 0 ms);
    // the slack keeps rounding errors from adding a millisecond.
    wait = std::chrono::ceil<std::chrono::milliseconds>(
        SecondsToNanos((1 - kTokenSlack - bucket->tokens) / limit.per_second));
  }
  bucket->full_at = now + SecondsToNanos((limit.burst - bucket->tokens) / limit.per_second);
  shard.earliest_full_at = std::min(shard.earliest_full_at, bucket->full_at);
  return wait;
}

size_t TokenBuckets::size() const {
  size_t total = 0;
  for (const Shard& shard : shards_) {
    std::lock_guard lock(shard.mutex);
    total += shard.index.size();
  }
  return total;
}

TokenBuckets::Nanos TokenBuckets::MonotonicNow(Shard& shard, core::TimePoint now) {
  Nanos t = std::chrono::duration_cast<Nanos>(now.time_since_epoch()) + shard.offset;
  if (t < shard.latest) {
    shard.offset += shard.latest - t;
    t = shard.latest;
  }
  shard.latest = t;
  return t;
}

void TokenBuckets::MakeRoom(Shard& shard, Nanos now) {
  // A sweep costs the whole shard, so it runs only when some bucket may have refilled by now;
  // otherwise eviction is the constant-time least recently used one.
  if (now >= shard.earliest_full_at) {
    Nanos earliest = Nanos::max();
    for (auto it = shard.buckets.begin(); it != shard.buckets.end();) {
      if (it->full_at <= now) {
        shard.index.erase(it->key);
        it = shard.buckets.erase(it);
      } else {
        earliest = std::min(earliest, it->full_at);
        ++it;
      }
    }
    shard.earliest_full_at = earliest;
  }
  if (shard.index.size() >= shard_capacity_) {
    shard.index.erase(shard.buckets.back().key);
    shard.buckets.pop_back();
  }
}

RateLimiter::RateLimiter(RateLimitPolicy policy, const core::Clock& clock, size_t max_keys)
    : policy_(std::move(policy)), buckets_(clock, max_keys) {}

std::optional<std::chrono::milliseconds> RateLimiter::Check(std::string_view group, int64_t user_id,
                                                            std::string_view ip) {
  const GroupLimits& limits = policy_.LimitsFor(group);
  // The user's bucket goes first, so a user it refuses spends nothing from an address that
  // other users behind the same NAT share.
  if (limits.per_user && user_id != 0) {
    std::string key(group);
    key.append(":u:").append(std::to_string(user_id));
    if (auto wait = buckets_.Take(key, *limits.per_user)) {
      return wait;
    }
  }
  if (limits.per_ip) {
    std::string key(group);
    key.append(":ip:").append(ip);
    return buckets_.Take(key, *limits.per_ip);
  }
  return std::nullopt;
}

}  // namespace plaza::gateway
