#pragma once

// Every SQL statement of groups (schema `groups`, see migrations/). Each method is one
// transaction; refusals are statuses with reasons, decided inside the transaction that would act,
// so a refusal changes nothing. Every change to a group first locks the group's row: changes of
// one group run one at a time, which is what keeps member_count equal to the member rows and the
// 500 cap exact under concurrent joins. A change messaging must hear about is written to the
// outbox in the same transaction (see outbox_relay.h).
//
// Reasons common to the methods acting as `user_id` on a group: NOT_FOUND GROUP_NOT_FOUND when
// the group does not exist or the user is not in it, FAILED_PRECONDITION GROUP_DISSOLVED for a
// change to a dissolved group, PERMISSION_DENIED per rules.h.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "plaza/core/clock.h"
#include "plaza/core/ids.h"
#include "plaza/groups/v1/groups_service.pb.h"
#include "plaza/pg/pool.h"
#include "services/groups/invite_token.h"
#include "services/groups/notices.h"
#include "services/groups/rules.h"

namespace plaza::groups {

struct NewGroup {
  int64_t owner_id = 0;
  std::string client_request_id;
  std::string name;
  std::vector<int64_t> member_ids;  // besides the owner
};

struct GroupPatch {
  std::optional<std::string> name, avatar, description;
};

struct SettingsPatch {
  v1::Permission who_can_invite = v1::PERMISSION_UNSPECIFIED;  // unspecified: unchanged
  v1::Permission who_can_edit_name = v1::PERMISSION_UNSPECIFIED;
  std::optional<bool> join_approval;
};

struct AddResult {
  std::vector<int64_t> added;
  std::vector<int64_t> pending;  // waiting for approval
};

struct JoinResult {
  v1::JoinOutcome outcome = v1::JOIN_OUTCOME_UNSPECIFIED;
  int64_t request_id = 0;  // with JOIN_OUTCOME_PENDING_APPROVAL
};

template <typename Item>
struct Page {
  std::vector<Item> items;
  std::string next_page_token;
};

// One change waiting in the outbox, claimed by a deliverer.
struct OutboxEntry {
  int64_t outbox_id = 0;
  ConversationChange change;
  int attempts = 0;  // this one included
};

class GroupsStore {
 public:
  GroupsStore(pg::Pool& pool, core::IdGenerator& ids, const core::Clock& clock);

  // A new group with the owner and members, and its conversation queued for messaging. A retry
  // with the same (owner, client_request_id) returns the group created first.
  absl::StatusOr<v1::Group> CreateGroup(const NewGroup& group);

  absl::StatusOr<v1::Group> GetGroup(int64_t user_id, int64_t group_id);
  absl::StatusOr<Page<v1::Group>> ListMyGroups(int64_t user_id, int32_t page_size,
                                               int64_t after_group_id, bool saved_only);

  // Name and avatar as who_can_edit_name allows, the description by the owner and admins.
  absl::StatusOr<v1::Group> UpdateGroup(int64_t user_id, int64_t group_id, const GroupPatch& patch);
  absl::StatusOr<v1::Group> SetAnnouncement(int64_t user_id, int64_t group_id,
                                            const std::string& text);
  absl::StatusOr<v1::Group> UpdateSettings(int64_t user_id, int64_t group_id,
                                           const SettingsPatch& patch);
  absl::StatusOr<v1::Group> SetMuteAll(int64_t user_id, int64_t group_id, bool muted);
  absl::StatusOr<v1::Group> PinMessage(int64_t user_id, int64_t group_id, int64_t seq);

  // Mutes `target_id` until now + `duration` (0 lifts it). NOT_FOUND MEMBER_NOT_FOUND if the
  // target is not a member.
  absl::StatusOr<v1::Member> MuteMember(int64_t user_id, int64_t group_id, int64_t target_id,
                                        std::chrono::seconds duration);
  // Owner only. FAILED_PRECONDITION ADMIN_LIMIT beyond kMaxAdmins, INVALID_ARGUMENT
  // CANNOT_TARGET_SELF for the owner; MEMBER_NOT_FOUND.
  absl::StatusOr<v1::Member> SetAdmin(int64_t user_id, int64_t group_id, int64_t target_id,
                                      bool admin);
  // Owner only; the old owner becomes a member. MEMBER_NOT_FOUND.
  absl::StatusOr<v1::Group> TransferOwnership(int64_t user_id, int64_t group_id,
                                              int64_t new_owner_id);
  // Owner only.
  absl::Status Dissolve(int64_t user_id, int64_t group_id);

  // Current members are skipped; FAILED_PRECONDITION GROUP_FULL if the rest do not fit (and
  // nobody is added).
  absl::StatusOr<AddResult> AddMembers(int64_t user_id, int64_t group_id,
                                       const std::vector<int64_t>& user_ids);
  // Non-members are skipped; every member named must rank below the caller.
  absl::StatusOr<std::vector<int64_t>> RemoveMembers(int64_t user_id, int64_t group_id,
                                                     const std::vector<int64_t>& user_ids);
  // FAILED_PRECONDITION OWNER_CANNOT_LEAVE while the group lives.
  absl::Status Leave(int64_t user_id, int64_t group_id);

  // An invitation by `user_id`, who must be allowed to invite; without its payload.
  absl::StatusOr<v1::Invite> CreateInvite(int64_t user_id, int64_t group_id,
                                          core::TimePoint expires_at);
  // Its creator, the owner or an admin. NOT_FOUND INVITE_NOT_FOUND.
  absl::Status RevokeInvite(int64_t user_id, int64_t group_id, int64_t invite_id);
  // `claims` come from a verified payload. FAILED_PRECONDITION INVITE_REVOKED if it was revoked
  // or its creator left or may no longer invite, GROUP_FULL, GROUP_DISSOLVED.
  absl::StatusOr<JoinResult> JoinByInvite(int64_t user_id, const InviteClaims& claims,
                                          const std::string& message);

  absl::StatusOr<Page<v1::JoinRequest>> ListJoinRequests(int64_t user_id, int64_t group_id,
                                                         int32_t page_size,
                                                         int64_t after_request_id);
  // NOT_FOUND JOIN_REQUEST_NOT_FOUND unless pending; approving: GROUP_FULL leaves it pending.
  absl::Status ApproveJoinRequest(int64_t user_id, int64_t group_id, int64_t request_id);
  absl::Status RejectJoinRequest(int64_t user_id, int64_t group_id, int64_t request_id);

  absl::StatusOr<Page<v1::Member>> ListMembers(int64_t user_id, int64_t group_id, int32_t page_size,
                                               int64_t after_user_id);
  absl::StatusOr<v1::Member> SetNickname(int64_t user_id, int64_t group_id,
                                         const std::string& nickname);
  // Allowed in dissolved groups too: they are the member's own preferences.
  absl::StatusOr<v1::MemberSettings> UpdateMySettings(int64_t user_id, int64_t group_id,
                                                      std::optional<bool> show_nicknames,
                                                      std::optional<bool> saved_to_contacts);

  // One statement over two primary keys.
  absl::StatusOr<SendState> GetSendState(int64_t group_id, int64_t user_id);

  // --- The outbox ------------------------------------------------------------------------
  // The group's oldest undelivered change, leased to the caller until now + `lease`; nullopt if
  // there is none, it is not due yet, or another deliverer holds it.
  absl::StatusOr<std::optional<OutboxEntry>> ClaimOutboxHead(int64_t group_id,
                                                             std::chrono::seconds lease);
  absl::Status CompleteOutbox(int64_t group_id, int64_t outbox_id);
  absl::Status RetryOutboxLater(int64_t group_id, int64_t outbox_id, core::TimePoint when,
                                const std::string& error);
  // Refused for good: kept for operators, skipped by delivery.
  absl::Status FailOutbox(int64_t group_id, int64_t outbox_id, const std::string& error);
  // Groups whose oldest undelivered change is due now and not leased, at most `limit`.
  absl::StatusOr<std::vector<int64_t>> GroupsWithDueChanges(int32_t limit);

 private:
  pg::Pool& pool_;
  core::IdGenerator& ids_;
  const core::Clock& clock_;
};

}  // namespace plaza::groups
