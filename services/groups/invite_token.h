#pragma once

// Group invitations as links and QR codes: a payload that names the group, the invitation and
// who made it, with its expiry, signed with HMAC-SHA-256 under a key only groups holds. A payload
// is checked offline (signature and expiry); the store then checks that the invitation was not
// revoked and that its creator may still invite.
//
// Format: "pgi1." + base64url(group_id | invite_id | creator_id | expires_at (unix s), each 8
// bytes big-endian | 32-byte MAC), 91 characters. The MAC covers a domain label and those 32
// bytes, so the key signs nothing else by accident.

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "plaza/core/clock.h"

namespace plaza::groups {

struct InviteClaims {
  int64_t group_id = 0;
  int64_t invite_id = 0;
  int64_t creator_id = 0;
  core::TimePoint expires_at;  // whole seconds
};

class InviteSigner {
 public:
  static constexpr size_t kMinKeyBytes = 32;

  // INVALID_ARGUMENT unless `key` has at least kMinKeyBytes bytes (use random ones).
  static absl::StatusOr<InviteSigner> Create(std::string key);

  // The payload for `claims`; expires_at is cut to whole seconds.
  std::string Sign(const InviteClaims& claims) const;

  // The claims of a payload made by Sign with this key: INVALID_ARGUMENT INVITE_INVALID if it
  // is not one (malformed, another key, altered), FAILED_PRECONDITION INVITE_EXPIRED from its
  // expiry on.
  absl::StatusOr<InviteClaims> Verify(std::string_view payload, core::TimePoint now) const;

 private:
  explicit InviteSigner(std::string key) : key_(std::move(key)) {}
  std::string Mac(std::string_view body) const;

  std::string key_;
};

}  // namespace plaza::groups
