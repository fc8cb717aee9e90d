#pragma once

// Revoked sessions, shared by every service through Redis so a logout takes effect at once
// everywhere. An entry only needs to outlive the access tokens minted for the session, after
// which the tokens expire on their own; identity's database stays the durable record.

#include <chrono>
#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "plaza/redis/redis.h"

namespace plaza::rpc {

class SessionRevocations {
 public:
  // `remember_for` must be at least the access-token lifetime plus clock skew.
  SessionRevocations(redis::Pool& redis, std::chrono::seconds remember_for);

  // Marks the sessions revoked (one round trip). UNAVAILABLE if Redis is down.
  absl::Status Revoke(const std::vector<int64_t>& session_ids);

  // True if the session was revoked. UNAVAILABLE if Redis is down.
  absl::StatusOr<bool> IsRevoked(int64_t session_id);

 private:
  redis::Pool& redis_;
  const std::chrono::seconds remember_for_;
};

}  // namespace plaza::rpc
