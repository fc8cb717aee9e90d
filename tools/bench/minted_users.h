#pragma once

// Synthetic users for the scenarios that go through the gateway (proxy, connect): their access
// tokens are minted here with the cluster's signing key (what identity would sign after a
// login), so no login is needed and nothing is written to any database or to Redis.
//
// Each user has a random user id in [kFirstUserId, kLastUserId], far above the ids identity's
// Snowflake generator hands out this century (2^62 and up is the year 2060 and later), so a
// synthetic user never shares an id, rate-limit bucket or push route with a real one; one
// device "bench-<n>" (n = its index) and a random session id that nobody has revoked.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace plaza::bench {

inline constexpr int64_t kFirstUserId = int64_t{1} << 62;
inline constexpr int64_t kLastUserId = (int64_t{1} << 62) + (int64_t{1} << 60);

// Identity's default access-token lifetime: the minted tokens live as long as real ones.
inline constexpr std::chrono::seconds kMintedTokenLifetime{900};

struct MintedUser {
  int64_t user_id = 0;
  std::string device_id;  // "bench-<n>"
  int64_t session_id = 0;
  std::string authorization;  // "Bearer <access token>", the metadata value to send
};

// `count` users with distinct ids and their access tokens, signed with `signing_key`
// ("<kid>:<base64 seed>", as in PLAZA_TOKEN_SIGNING_KEY), issued now and valid for `lifetime`.
// INVALID_ARGUMENT (SIGNING_KEY_INVALID) if the key is malformed; the message never quotes it.
absl::StatusOr<std::vector<MintedUser>> MintUsers(
    std::string_view signing_key, size_t count,
    std::chrono::seconds lifetime = kMintedTokenLifetime);

}  // namespace plaza::bench
