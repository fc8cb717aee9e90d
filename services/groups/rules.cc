#include "services/groups/rules.h"

#include <algorithm>

#include "plaza/core/status.h"

namespace plaza::groups {

bool IsManager(v1::MemberRole role) {
  return role == v1::MEMBER_ROLE_OWNER || role == v1::MEMBER_ROLE_ADMIN;
}

bool Outranks(v1::MemberRole actor, v1::MemberRole target) {
  // The enum's values are the ranks: member 1, admin 2, owner 3.
  return static_cast<int>(actor) > static_cast<int>(target);
}

bool Allows(v1::Permission permission, v1::MemberRole role) {
  return permission == v1::PERMISSION_EVERY_MEMBER || IsManager(role);
}

absl::Status RequireManager(v1::MemberRole role) {
  if (IsManager(role)) return absl::OkStatus();
  return PermissionDenied("NOT_ADMIN", "only the group owner and admins can do that");
}

absl::Status RequireOwner(v1::MemberRole role) {
  if (role == v1::MEMBER_ROLE_OWNER) return absl::OkStatus();
  return PermissionDenied("NOT_OWNER", "only the group owner can do that");
}

absl::Status RequireCanInvite(v1::Permission who_can_invite, v1::MemberRole role) {
  if (Allows(who_can_invite, role)) return absl::OkStatus();
  return PermissionDenied("INVITE_NOT_ALLOWED",
                          "only the owner and admins can invite to this group");
}

absl::Status RequireCanEditName(v1::Permission who_can_edit_name, v1::MemberRole role) {
  if (Allows(who_can_edit_name, role)) return absl::OkStatus();
  return PermissionDenied("EDIT_NAME_NOT_ALLOWED",
                          "only the owner and admins can change this group's name and avatar");
}

absl::Status RequireOutranks(v1::MemberRole actor, v1::MemberRole target) {
  if (Outranks(actor, target)) return absl::OkStatus();
  return PermissionDenied("RANK_TOO_LOW", "you can only do that to members below your role");
}

bool NeedsApproval(bool join_approval, v1::MemberRole inviter_role) {
  return join_approval && !IsManager(inviter_role);
}

SendPolicy DecideSendPolicy(const SendState& state, core::TimePoint now) {
  SendPolicy policy;
  if (!state.group_exists || !state.role) {
    policy.refusal = v1::SEND_REFUSAL_NOT_A_MEMBER;
  } else if (state.dissolved) {
    policy.refusal = v1::SEND_REFUSAL_DISSOLVED;
  } else if (state.muted_until && *state.muted_until > now) {
    policy.refusal = v1::SEND_REFUSAL_MUTED;
    policy.mute_end = state.muted_until;
  } else if (state.mute_all && !IsManager(*state.role)) {
    policy.refusal = v1::SEND_REFUSAL_ALL_MUTED;
  } else {
    policy.can_send = true;
    policy.can_mention_all = IsManager(*state.role);
  }
  return policy;
}

std::chrono::seconds RetryDelay(int attempts) {
  constexpr std::chrono::seconds kLongest{300};
  // 2^9 s already exceeds the longest wait; stop doubling before the shift could overflow.
  int doublings = std::clamp(attempts - 1, 0, 9);
  return std::min(std::chrono::seconds(int64_t{1} << doublings), kLongest);
}

}  // namespace plaza::groups
