#pragma once

// Who may do what in a group, and the limits, without a database: roles, the group's permission
// settings, who may speak now, and how long an undelivered change waits before the next try.
// Unit-tested in tests/rules_test.cc; the store applies them to the rows it has locked.

#include <chrono>
#include <cstdint>
#include <optional>

#include "absl/status/status.h"
#include "plaza/core/clock.h"
#include "plaza/groups/v1/groups_service.pb.h"
#include "plaza/groups/v1/internal_service.pb.h"

namespace plaza::groups {

inline constexpr int kMaxMembers = 500;
inline constexpr int kMaxAdmins = 10;
// Besides the creator: a group starts with at least three people.
inline constexpr int kMinInitialMembers = 2;
inline constexpr std::chrono::seconds kMinMute{60};
inline constexpr std::chrono::seconds kMaxMute{30 * 24 * 3600};
inline constexpr std::chrono::seconds kMinInviteTtl{60};
inline constexpr std::chrono::seconds kMaxInviteTtl{7 * 24 * 3600};

// The owner or an admin.
bool IsManager(v1::MemberRole role);

// Owner > admin > member: only a higher role may remove or mute someone.
bool Outranks(v1::MemberRole actor, v1::MemberRole target);

// Does `permission` (a group setting) let a member with `role` act?
bool Allows(v1::Permission permission, v1::MemberRole role);

// PERMISSION_DENIED NOT_ADMIN unless the owner or an admin.
absl::Status RequireManager(v1::MemberRole role);
// PERMISSION_DENIED NOT_OWNER unless the owner.
absl::Status RequireOwner(v1::MemberRole role);
// PERMISSION_DENIED INVITE_NOT_ALLOWED unless the group's who_can_invite admits `role`.
absl::Status RequireCanInvite(v1::Permission who_can_invite, v1::MemberRole role);
// PERMISSION_DENIED EDIT_NAME_NOT_ALLOWED unless who_can_edit_name admits `role`.
absl::Status RequireCanEditName(v1::Permission who_can_edit_name, v1::MemberRole role);
// PERMISSION_DENIED RANK_TOO_LOW unless `actor` outranks `target`.
absl::Status RequireOutranks(v1::MemberRole actor, v1::MemberRole target);

// With join approval on, people an ordinary member brings in (by AddMembers or by their
// invitation) wait for the owner or an admin; those the owner or an admin brings in do not.
bool NeedsApproval(bool join_approval, v1::MemberRole inviter_role);

// What decides whether a user may send to a group now, as stored.
struct SendState {
  bool group_exists = false;
  bool dissolved = false;
  bool mute_all = false;
  std::optional<v1::MemberRole> role;  // unset: not a member
  std::optional<core::TimePoint> muted_until;
};

struct SendPolicy {
  bool can_send = false;
  v1::SendRefusal refusal = v1::SEND_REFUSAL_UNSPECIFIED;
  std::optional<core::TimePoint> mute_end;  // with SEND_REFUSAL_MUTED
  bool can_mention_all = false;
};

// Members may send unless the group is dissolved, they are muted, or mute-all is on and they are
// neither owner nor admin. Only the owner and admins may @all.
SendPolicy DecideSendPolicy(const SendState& state, core::TimePoint now);

// How long the outbox waits before trying a change again after `attempts` failed deliveries:
// 1 s, doubling, at most 5 minutes.
std::chrono::seconds RetryDelay(int attempts);

}  // namespace plaza::groups
