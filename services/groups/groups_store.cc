#include "services/groups/groups_store.h"

#include <google/protobuf/util/time_util.h>

#include <charconv>
#include <map>

#include "absl/strings/str_join.h"
#include "plaza/core/status.h"
#include "plaza/core/text.h"

namespace plaza::groups {
namespace {

using google::protobuf::util::TimeUtil;

// Timestamps cross the driver as microseconds since the epoch.
#define GROUPS_MICROS(column) "(extract(epoch FROM " column ") * 1000000)::bigint"
#define GROUPS_TIME(param) "to_timestamp(" param "::double precision / 1e6)"

// A member row m: 6 columns.
constexpr const char* kMemberColumns = "m.user_id, m.role, m.nickname, " GROUPS_MICROS(
    "m.joined_at") ", m.inviter_id, coalesce(" GROUPS_MICROS("m.muted_until") ", 0)";

// A group as member m sees it (the caller appends WHERE ...): 18 columns, then the member's.
const std::string kGroupView =
    std::string(
        "SELECT g.group_id, g.name, g.avatar, g.description, g.announcement, "
        "g.announcement_author_id, coalesce(" GROUPS_MICROS("g.announcement_at") ", 0), "
        "g.member_count, g.who_can_invite, g.who_can_edit_name, g.join_approval, g.mute_all, "
        "g.pinned_seq, " GROUPS_MICROS("g.created_at") ", g.dissolved_at IS NOT NULL, "
        "coalesce((SELECT o.user_id FROM groups.members o WHERE o.group_id = g.group_id "
        "AND o.role = 3), 0), m.show_nicknames, m.saved_to_contacts, ") +
    kMemberColumns + " FROM groups.groups g JOIN groups.members m ON m.group_id = g.group_id ";
constexpr int kGroupColumnCount = 18;

constexpr const char* kInsertMembers =
    "INSERT INTO groups.members (group_id, user_id, role, inviter_id, joined_at) "
    "SELECT $1, u, 1, $3, " GROUPS_TIME("$4") " FROM unnest(string_to_array($2, ',')::bigint[]) u";

constexpr int kPending = 1, kApproved = 2, kRejected = 3;

// Ids cross the driver as "1,2,3" and become bigint[] with string_to_array(...)::bigint[].
std::string JoinIds(const std::vector<int64_t>& ids) { return absl::StrJoin(ids, ","); }

std::vector<int64_t> SplitIds(std::string_view text) {
  std::vector<int64_t> ids;
  for (std::string_view item : core::SplitAny(text, ",")) {
    int64_t id = 0;
    std::from_chars(item.data(), item.data() + item.size(), id);
    ids.push_back(id);
  }
  return ids;
}

void SetTime(google::protobuf::Timestamp* out, int64_t micros) {
  *out = TimeUtil::MicrosecondsToTimestamp(micros);
}

v1::Member MemberFromRow(const pqxx::row& row, int first, core::TimePoint now) {
  v1::Member member;
  member.set_user_id(row[first].as<int64_t>());
  member.set_role(static_cast<v1::MemberRole>(row[first + 1].as<int>()));
  member.set_nickname(row[first + 2].as<std::string>());
  SetTime(member.mutable_join_time(), row[first + 3].as<int64_t>());
  member.set_inviter_id(row[first + 4].as<int64_t>());
  if (int64_t muted_until = row[first + 5].as<int64_t>(); muted_until > core::UnixMicros(now)) {
    SetTime(member.mutable_mute_end_time(), muted_until);
  }
  return member;
}

v1::Group GroupFromRow(const pqxx::row& row, core::TimePoint now) {
  v1::Group group;
  group.set_group_id(row[0].as<int64_t>());
  group.set_name(row[1].as<std::string>());
  group.set_avatar(row[2].as<std::string>());
  group.set_description(row[3].as<std::string>());
  if (!row[4].as<std::string>().empty()) {
    auto* announcement = group.mutable_announcement();
    announcement->set_text(row[4].as<std::string>());
    announcement->set_author_id(row[5].as<int64_t>());
    SetTime(announcement->mutable_update_time(), row[6].as<int64_t>());
  }
  group.set_member_count(row[7].as<int>());
  group.mutable_settings()->set_who_can_invite(static_cast<v1::Permission>(row[8].as<int>()));
  group.mutable_settings()->set_who_can_edit_name(static_cast<v1::Permission>(row[9].as<int>()));
  group.mutable_settings()->set_join_approval(row[10].as<bool>());
  group.set_mute_all(row[11].as<bool>());
  group.set_pinned_seq(row[12].as<int64_t>());
  SetTime(group.mutable_create_time(), row[13].as<int64_t>());
  group.set_dissolved(row[14].as<bool>());
  group.set_owner_id(row[15].as<int64_t>());
  group.mutable_my_settings()->set_show_nicknames(row[16].as<bool>());
  group.mutable_my_settings()->set_saved_to_contacts(row[17].as<bool>());
  *group.mutable_me() = MemberFromRow(row, kGroupColumnCount, now);
  return group;
}

absl::Status GroupNotFound() {
  return NotFound("GROUP_NOT_FOUND", "no such group, or you are not in it");
}

absl::Status MemberNotFound() {
  return NotFound("MEMBER_NOT_FOUND", "that user is not a member of this group");
}

absl::Status GroupFull() {
  return FailedPrecondition("GROUP_FULL", "a group has at most 500 members");
}

absl::StatusOr<v1::Group> ViewIn(pqxx::work& tx, int64_t user_id, int64_t group_id,
                                 core::TimePoint now) {
  auto rows =
      pg::Exec(tx, kGroupView + "WHERE g.group_id = $1 AND m.user_id = $2", group_id, user_id);
  if (rows.empty()) return GroupNotFound();
  return GroupFromRow(rows[0], now);
}

absl::StatusOr<v1::Member> MemberIn(pqxx::work& tx, int64_t group_id, int64_t user_id,
                                    core::TimePoint now) {
  auto rows = pg::Exec(tx,
                       std::string("SELECT ") + kMemberColumns +
                           " FROM groups.members m WHERE m.group_id = $1 AND m.user_id = $2",
                       group_id, user_id);
  if (rows.empty()) return MemberNotFound();
  return MemberFromRow(rows[0], 0, now);
}

std::optional<v1::MemberRole> RoleIn(pqxx::work& tx, int64_t group_id, int64_t user_id) {
  auto rows = pg::Exec(tx, "SELECT role FROM groups.members WHERE group_id = $1 AND user_id = $2",
                       group_id, user_id);
  if (rows.empty()) return std::nullopt;
  return static_cast<v1::MemberRole>(rows[0][0].as<int>());
}

// A group's row, locked: every change of a group starts here.
struct LockedGroup {
  int member_count = 0;
  v1::Permission who_can_invite = v1::PERMISSION_UNSPECIFIED;
  v1::Permission who_can_edit_name = v1::PERMISSION_UNSPECIFIED;
  bool join_approval = false;
  bool mute_all = false;
  bool dissolved = false;
  int64_t pinned_seq = 0;
  std::string name, avatar;
  std::optional<v1::MemberRole> role;  // of the user asked about
};

// NOT_FOUND GROUP_NOT_FOUND if there is no such group.
absl::StatusOr<LockedGroup> LockGroup(pqxx::work& tx, int64_t group_id, int64_t user_id) {
  auto rows =
      pg::Exec(tx,
               "SELECT g.member_count, g.who_can_invite, g.who_can_edit_name, g.join_approval, "
               "g.mute_all, g.dissolved_at IS NOT NULL, g.pinned_seq, g.name, g.avatar, m.role "
               "FROM groups.groups g LEFT JOIN groups.members m ON m.group_id = g.group_id "
               "AND m.user_id = $2 WHERE g.group_id = $1 FOR UPDATE OF g",
               group_id, user_id);
  if (rows.empty()) return GroupNotFound();
  const auto& row = rows[0];
  LockedGroup group{.member_count = row[0].as<int>(),
                    .who_can_invite = static_cast<v1::Permission>(row[1].as<int>()),
                    .who_can_edit_name = static_cast<v1::Permission>(row[2].as<int>()),
                    .join_approval = row[3].as<bool>(),
                    .mute_all = row[4].as<bool>(),
                    .dissolved = row[5].as<bool>(),
                    .pinned_seq = row[6].as<int64_t>(),
                    .name = row[7].as<std::string>(),
                    .avatar = row[8].as<std::string>()};
  if (!row[9].is_null()) group.role = static_cast<v1::MemberRole>(row[9].as<int>());
  return group;
}

// The group locked for a change by one of its members, which a dissolved group refuses.
absl::StatusOr<LockedGroup> LockForChange(pqxx::work& tx, int64_t group_id, int64_t user_id) {
  PLAZA_ASSIGN_OR_RETURN(LockedGroup group, LockGroup(tx, group_id, user_id));
  if (!group.role) return GroupNotFound();
  if (group.dissolved) {
    return FailedPrecondition("GROUP_DISSOLVED", "this group was dissolved; nothing can change");
  }
  return group;
}

void Enqueue(pqxx::work& tx, int64_t group_id, const ConversationChange& change,
             core::TimePoint now) {
  pg::Exec(
      tx,
      "INSERT INTO groups.outbox (group_id, operation, notice_kind, actor_id, user_ids, detail, "
      "next_attempt_at) VALUES ($1, $2, $3, $4, string_to_array($5, ',')::bigint[], "
      "$6, " GROUPS_TIME("$7") ")",
      group_id, static_cast<int>(change.op), change.notice_kind, change.actor_id,
      JoinIds(change.user_ids), change.detail, core::UnixMicros(now));
}

void Notify(pqxx::work& tx, int64_t group_id, std::string_view kind, int64_t actor_id,
            std::vector<int64_t> user_ids, core::TimePoint now, std::string detail = "") {
  Enqueue(tx, group_id,
          {.op = ConversationOp::kPostNotice,
           .notice_kind = std::string(kind),
           .actor_id = actor_id,
           .user_ids = std::move(user_ids),
           .detail = std::move(detail)},
          now);
}

// Adds users who are not members yet (the caller checked the cap), counting them. Joining by any
// way settles a request to join they still had waiting.
void InsertMembers(pqxx::work& tx, int64_t group_id, const std::vector<int64_t>& user_ids,
                   int64_t inviter_id, core::TimePoint now) {
  std::string ids = JoinIds(user_ids);
  pg::Exec(tx, kInsertMembers, group_id, ids, inviter_id, core::UnixMicros(now));
  pg::Exec(tx, "UPDATE groups.groups SET member_count = member_count + $2 WHERE group_id = $1",
           group_id, static_cast<int>(user_ids.size()));
  pg::Exec(tx, 
      "UPDATE groups.join_requests SET status = $3, decided_by = $4, "
      "decided_at = " GROUPS_TIME("$5") " "
      "WHERE group_id = $1 AND user_id = ANY (string_to_array($2, ',')::bigint[]) AND status = $6",
      group_id, ids, kApproved, inviter_id, core::UnixMicros(now), kPending);
}

void DeleteMembers(pqxx::work& tx, int64_t group_id, const std::vector<int64_t>& user_ids) {
  pg::Exec(tx,
           "DELETE FROM groups.members WHERE group_id = $1 AND user_id = ANY "
           "(string_to_array($2, ',')::bigint[])",
           group_id, JoinIds(user_ids));
  pg::Exec(tx, "UPDATE groups.groups SET member_count = member_count - $2 WHERE group_id = $1",
           group_id, static_cast<int>(user_ids.size()));
}

// Those of `user_ids` who are members now, with their roles, by user id.
std::map<int64_t, v1::MemberRole> RolesIn(pqxx::work& tx, int64_t group_id,
                                          const std::vector<int64_t>& user_ids) {
  std::map<int64_t, v1::MemberRole> roles;
  for (const auto& row :
       pg::Exec(tx,
                "SELECT user_id, role FROM groups.members WHERE group_id = $1 AND user_id = ANY "
                "(string_to_array($2, ',')::bigint[])",
                group_id, JoinIds(user_ids))) {
    roles.emplace(row[0].as<int64_t>(), static_cast<v1::MemberRole>(row[1].as<int>()));
  }
  return roles;
}

// A pending join request, locked.
struct PendingRequest {
  int64_t user_id = 0;
  int64_t inviter_id = 0;
};

absl::StatusOr<PendingRequest> LockPendingRequest(pqxx::work& tx, int64_t group_id,
                                                  int64_t request_id) {
  auto rows =
      pg::Exec(tx,
               "SELECT user_id, inviter_id FROM groups.join_requests WHERE group_id = $1 AND "
               "request_id = $2 AND status = $3 FOR UPDATE",
               group_id, request_id, kPending);
  if (rows.empty()) return NotFound("JOIN_REQUEST_NOT_FOUND", "no such pending request to join");
  return PendingRequest{rows[0][0].as<int64_t>(), rows[0][1].as<int64_t>()};
}

void Decide(pqxx::work& tx, int64_t group_id, int64_t request_id, int status, int64_t decided_by,
            core::TimePoint now) {
  pg::Exec(
      tx,
      "UPDATE groups.join_requests SET status = $3, decided_by = $4, decided_at = " GROUPS_TIME(
          "$5") " WHERE group_id = $1 AND request_id = $2",
      group_id, request_id, status, decided_by, core::UnixMicros(now));
}

}  // namespace

GroupsStore::GroupsStore(pg::Pool& pool, core::IdGenerator& ids, const core::Clock& clock)
    : pool_(pool), ids_(ids), clock_(clock) {}

absl::StatusOr<v1::Group> GroupsStore::CreateGroup(const NewGroup& group) {
  int64_t group_id = ids_.Next();
  core::TimePoint now = clock_.Now();
  std::vector<int64_t> everyone{group.owner_id};
  everyone.insert(everyone.end(), group.member_ids.begin(), group.member_ids.end());
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<v1::Group> {
    auto created = pg::Exec(tx, 
        "INSERT INTO groups.groups (group_id, name, member_count, created_by, create_request_id, "
        "created_at) VALUES ($1, $2, $3, $4, $5, " GROUPS_TIME("$6") ") "
        "ON CONFLICT (created_by, create_request_id) DO NOTHING RETURNING group_id",
        group_id, group.name, static_cast<int>(everyone.size()), group.owner_id,
        group.client_request_id, core::UnixMicros(now));
    if (created.empty()) {
      auto first = pg::Exec1(
          tx, "SELECT group_id FROM groups.groups WHERE created_by = $1 AND create_request_id = $2",
          group.owner_id, group.client_request_id);
      return ViewIn(tx, group.owner_id, first[0].as<int64_t>(), now);
    }
    pg::Exec(tx,
             "INSERT INTO groups.members (group_id, user_id, role, inviter_id, joined_at) "
             "SELECT $1, u, CASE WHEN u = $2 THEN 3 ELSE 1 END, CASE WHEN u = $2 THEN 0 ELSE $2 "
             "END, " GROUPS_TIME("$4") " FROM unnest(string_to_array($3, ',')::bigint[]) u",
             group_id, group.owner_id, JoinIds(everyone), core::UnixMicros(now));
    Enqueue(tx, group_id,
            {.op = ConversationOp::kCreate,
             .notice_kind = std::string(notice_kind::kCreated),
             .actor_id = group.owner_id,
             .user_ids = everyone},
            now);
    return ViewIn(tx, group.owner_id, group_id, now);
  });
}

absl::StatusOr<v1::Group> GroupsStore::GetGroup(int64_t user_id, int64_t group_id) {
  core::TimePoint now = clock_.Now();
  return pool_.Transact([&](pqxx::work& tx) { return ViewIn(tx, user_id, group_id, now); });
}

absl::StatusOr<Page<v1::Group>> GroupsStore::ListMyGroups(int64_t user_id, int32_t page_size,
                                                          int64_t after_group_id, bool saved_only) {
  core::TimePoint now = clock_.Now();
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<Page<v1::Group>> {
    Page<v1::Group> page;
    for (const auto& row :
         pg::Exec(tx,
                  kGroupView + "WHERE m.user_id = $1 AND m.group_id > $2 AND (NOT $3 OR "
                               "m.saved_to_contacts) ORDER BY m.group_id LIMIT $4",
                  user_id, after_group_id, saved_only, page_size + 1)) {
      page.items.push_back(GroupFromRow(row, now));
    }
    page.next_page_token = core::TakePage(page.items, page_size,
                                          [](const v1::Group& group) { return group.group_id(); });
    return page;
  });
}

absl::StatusOr<v1::Group> GroupsStore::UpdateGroup(int64_t user_id, int64_t group_id,
                                                   const GroupPatch& patch) {
  core::TimePoint now = clock_.Now();
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<v1::Group> {
    PLAZA_ASSIGN_OR_RETURN(LockedGroup group, LockForChange(tx, group_id, user_id));
    if (patch.name || patch.avatar) {
      PLAZA_RETURN_IF_ERROR(RequireCanEditName(group.who_can_edit_name, *group.role));
    }
    if (patch.description) PLAZA_RETURN_IF_ERROR(RequireManager(*group.role));
    pg::Exec(tx,
             "UPDATE groups.groups SET name = coalesce($2, name), avatar = coalesce($3, avatar), "
             "description = coalesce($4, description) WHERE group_id = $1",
             group_id, patch.name, patch.avatar, patch.description);
    if (patch.name && *patch.name != group.name) {
      Notify(tx, group_id, notice_kind::kRenamed, user_id, {}, now, *patch.name);
    }
    if (patch.avatar && *patch.avatar != group.avatar) {
      Notify(tx, group_id, notice_kind::kAvatarChanged, user_id, {}, now);
    }
    return ViewIn(tx, user_id, group_id, now);
  });
}

absl::StatusOr<v1::Group> GroupsStore::SetAnnouncement(int64_t user_id, int64_t group_id,
                                                       const std::string& text) {
  core::TimePoint now = clock_.Now();
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<v1::Group> {
    PLAZA_ASSIGN_OR_RETURN(LockedGroup group, LockForChange(tx, group_id, user_id));
    PLAZA_RETURN_IF_ERROR(RequireManager(*group.role));
    pg::Exec(tx,
             "UPDATE groups.groups SET announcement = $2, announcement_author_id = $3, "
             "announcement_at = " GROUPS_TIME("$4") " WHERE group_id = $1",
             group_id, text, user_id, core::UnixMicros(now));
    if (!text.empty()) Notify(tx, group_id, notice_kind::kAnnouncement, user_id, {}, now, text);
    return ViewIn(tx, user_id, group_id, now);
  });
}

absl::StatusOr<v1::Group> GroupsStore::UpdateSettings(int64_t user_id, int64_t group_id,
                                                      const SettingsPatch& patch) {
  core::TimePoint now = clock_.Now();
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<v1::Group> {
    PLAZA_ASSIGN_OR_RETURN(LockedGroup group, LockForChange(tx, group_id, user_id));
    PLAZA_RETURN_IF_ERROR(RequireManager(*group.role));
    auto permission = [](v1::Permission value) {
      return value == v1::PERMISSION_UNSPECIFIED ? std::nullopt
                                                 : std::optional<int>(static_cast<int>(value));
    };
    auto updated =
        pg::Exec(tx,
                 "UPDATE groups.groups SET who_can_invite = coalesce($2, who_can_invite), "
                 "who_can_edit_name = coalesce($3, who_can_edit_name), "
                 "join_approval = coalesce($4, join_approval) WHERE group_id = $1 AND "
                 "(who_can_invite, who_can_edit_name, join_approval) IS DISTINCT FROM "
                 "(coalesce($2, who_can_invite), coalesce($3, who_can_edit_name), "
                 "coalesce($4, join_approval))",
                 group_id, permission(patch.who_can_invite), permission(patch.who_can_edit_name),
                 patch.join_approval);
    if (updated.affected_rows() > 0) {
      Notify(tx, group_id, notice_kind::kSettingsChanged, user_id, {}, now);
    }
    return ViewIn(tx, user_id, group_id, now);
  });
}

absl::StatusOr<v1::Group> GroupsStore::SetMuteAll(int64_t user_id, int64_t group_id, bool muted) {
  core::TimePoint now = clock_.Now();
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<v1::Group> {
    PLAZA_ASSIGN_OR_RETURN(LockedGroup group, LockForChange(tx, group_id, user_id));
    PLAZA_RETURN_IF_ERROR(RequireManager(*group.role));
    if (group.mute_all != muted) {
      pg::Exec(tx, "UPDATE groups.groups SET mute_all = $2 WHERE group_id = $1", group_id, muted);
      Notify(tx, group_id, muted ? notice_kind::kMuteAllOn : notice_kind::kMuteAllOff, user_id, {},
             now);
    }
    return ViewIn(tx, user_id, group_id, now);
  });
}

absl::StatusOr<v1::Group> GroupsStore::PinMessage(int64_t user_id, int64_t group_id, int64_t seq) {
  core::TimePoint now = clock_.Now();
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<v1::Group> {
    PLAZA_ASSIGN_OR_RETURN(LockedGroup group, LockForChange(tx, group_id, user_id));
    PLAZA_RETURN_IF_ERROR(RequireManager(*group.role));
    if (group.pinned_seq != seq) {
      pg::Exec(tx, "UPDATE groups.groups SET pinned_seq = $2 WHERE group_id = $1", group_id, seq);
      Notify(tx, group_id, seq == 0 ? notice_kind::kMessageUnpinned : notice_kind::kMessagePinned,
             user_id, {}, now, seq == 0 ? "" : std::to_string(seq));
    }
    return ViewIn(tx, user_id, group_id, now);
  });
}

absl::StatusOr<v1::Member> GroupsStore::MuteMember(int64_t user_id, int64_t group_id,
                                                   int64_t target_id,
                                                   std::chrono::seconds duration) {
  core::TimePoint now = clock_.Now();
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<v1::Member> {
    PLAZA_ASSIGN_OR_RETURN(LockedGroup group, LockForChange(tx, group_id, user_id));
    PLAZA_RETURN_IF_ERROR(RequireManager(*group.role));
    PLAZA_ASSIGN_OR_RETURN(v1::Member target, MemberIn(tx, group_id, target_id, now));
    PLAZA_RETURN_IF_ERROR(RequireOutranks(*group.role, target.role()));
    bool was_muted = target.has_mute_end_time();
    if (duration.count() == 0) {
      if (!was_muted) return target;
      pg::Exec(tx,
               "UPDATE groups.members SET muted_until = NULL WHERE group_id = $1 AND user_id = $2",
               group_id, target_id);
      Notify(tx, group_id, notice_kind::kMemberUnmuted, user_id, {target_id}, now);
    } else {
      pg::Exec(tx,
               "UPDATE groups.members SET muted_until = " GROUPS_TIME(
                   "$3") " WHERE group_id = $1 AND user_id = $2",
               group_id, target_id, core::UnixMicros(now + duration));
      Notify(tx, group_id, notice_kind::kMemberMuted, user_id, {target_id}, now,
             DescribeDuration(duration));
    }
    return MemberIn(tx, group_id, target_id, now);
  });
}

absl::StatusOr<v1::Member> GroupsStore::SetAdmin(int64_t user_id, int64_t group_id,
                                                 int64_t target_id, bool admin) {
  core::TimePoint now = clock_.Now();
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<v1::Member> {
    PLAZA_ASSIGN_OR_RETURN(LockedGroup group, LockForChange(tx, group_id, user_id));
    PLAZA_RETURN_IF_ERROR(RequireOwner(*group.role));
    PLAZA_ASSIGN_OR_RETURN(v1::Member target, MemberIn(tx, group_id, target_id, now));
    if (target.role() == v1::MEMBER_ROLE_OWNER) {
      return InvalidArgument("CANNOT_TARGET_SELF", "the owner is not made an admin");
    }
    v1::MemberRole wanted = admin ? v1::MEMBER_ROLE_ADMIN : v1::MEMBER_ROLE_MEMBER;
    if (target.role() == wanted) return target;
    if (admin && pg::Exec1(tx,
                           "SELECT count(*) FROM groups.members WHERE group_id = $1 AND "
                           "role = 2",
                           group_id)[0]
                         .as<int>() >= kMaxAdmins) {
      return FailedPrecondition("ADMIN_LIMIT", "a group has at most 10 admins");
    }
    pg::Exec(tx, "UPDATE groups.members SET role = $3 WHERE group_id = $1 AND user_id = $2",
             group_id, target_id, static_cast<int>(wanted));
    Notify(tx, group_id, admin ? notice_kind::kAdminAdded : notice_kind::kAdminRemoved, user_id,
           {target_id}, now);
    return MemberIn(tx, group_id, target_id, now);
  });
}

absl::StatusOr<v1::Group> GroupsStore::TransferOwnership(int64_t user_id, int64_t group_id,
                                                         int64_t new_owner_id) {
  core::TimePoint now = clock_.Now();
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<v1::Group> {
    PLAZA_ASSIGN_OR_RETURN(LockedGroup group, LockForChange(tx, group_id, user_id));
    PLAZA_RETURN_IF_ERROR(RequireOwner(*group.role));
    if (!RoleIn(tx, group_id, new_owner_id)) return MemberNotFound();
    // One owner at every moment: the old one steps down before the new one steps up. An owner
    // cannot be muted, so a mute the new owner had ends.
    pg::Exec(tx, "UPDATE groups.members SET role = 1 WHERE group_id = $1 AND user_id = $2",
             group_id, user_id);
    pg::Exec(tx,
             "UPDATE groups.members SET role = 3, muted_until = NULL WHERE group_id = $1 AND "
             "user_id = $2",
             group_id, new_owner_id);
    Notify(tx, group_id, notice_kind::kOwnerChanged, user_id, {new_owner_id}, now);
    return ViewIn(tx, user_id, group_id, now);
  });
}

absl::Status GroupsStore::Dissolve(int64_t user_id, int64_t group_id) {
  core::TimePoint now = clock_.Now();
  return pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    PLAZA_ASSIGN_OR_RETURN(LockedGroup group, LockForChange(tx, group_id, user_id));
    PLAZA_RETURN_IF_ERROR(RequireOwner(*group.role));
    pg::Exec(tx,
             "UPDATE groups.groups SET dissolved_at = " GROUPS_TIME("$2") " WHERE group_id = $1",
             group_id, core::UnixMicros(now));
    Enqueue(tx, group_id,
            {.op = ConversationOp::kClose,
             .notice_kind = std::string(notice_kind::kDissolved),
             .actor_id = user_id},
            now);
    return absl::OkStatus();
  });
}

absl::StatusOr<AddResult> GroupsStore::AddMembers(int64_t user_id, int64_t group_id,
                                                  const std::vector<int64_t>& user_ids) {
  core::TimePoint now = clock_.Now();
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<AddResult> {
    PLAZA_ASSIGN_OR_RETURN(LockedGroup group, LockForChange(tx, group_id, user_id));
    PLAZA_RETURN_IF_ERROR(RequireCanInvite(group.who_can_invite, *group.role));
    auto members = RolesIn(tx, group_id, user_ids);
    std::vector<int64_t> newcomers;
    for (int64_t id : user_ids) {
      if (!members.contains(id)) newcomers.push_back(id);
    }
    AddResult result;
    if (newcomers.empty()) return result;
    if (NeedsApproval(group.join_approval, *group.role)) {
      std::vector<int64_t> request_ids;
      for (size_t i = 0; i < newcomers.size(); ++i) request_ids.push_back(ids_.Next());
      // Someone already waiting keeps their first request.
      pg::Exec(tx, 
          "INSERT INTO groups.join_requests (group_id, request_id, user_id, inviter_id, status, "
          "created_at) SELECT $1, r, u, $4, $5, " GROUPS_TIME("$6") " FROM unnest("
          "string_to_array($2, ',')::bigint[], string_to_array($3, ',')::bigint[]) AS t(r, u) "
          "ON CONFLICT (group_id, user_id) WHERE status = 1 DO NOTHING",
          group_id, JoinIds(request_ids), JoinIds(newcomers), user_id, kPending,
          core::UnixMicros(now));
      result.pending = std::move(newcomers);
      return result;
    }
    if (group.member_count + static_cast<int>(newcomers.size()) > kMaxMembers) return GroupFull();
    InsertMembers(tx, group_id, newcomers, user_id, now);
    Enqueue(tx, group_id,
            {.op = ConversationOp::kAddMembers,
             .notice_kind = std::string(notice_kind::kMembersInvited),
             .actor_id = user_id,
             .user_ids = newcomers},
            now);
    result.added = std::move(newcomers);
    return result;
  });
}

absl::StatusOr<std::vector<int64_t>> GroupsStore::RemoveMembers(
    int64_t user_id, int64_t group_id, const std::vector<int64_t>& user_ids) {
  core::TimePoint now = clock_.Now();
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<std::vector<int64_t>> {
    PLAZA_ASSIGN_OR_RETURN(LockedGroup group, LockForChange(tx, group_id, user_id));
    PLAZA_RETURN_IF_ERROR(RequireManager(*group.role));
    std::vector<int64_t> removed;
    for (const auto& [id, role] : RolesIn(tx, group_id, user_ids)) {
      PLAZA_RETURN_IF_ERROR(RequireOutranks(*group.role, role));
      removed.push_back(id);
    }
    if (removed.empty()) return removed;
    DeleteMembers(tx, group_id, removed);
    Enqueue(tx, group_id,
            {.op = ConversationOp::kRemoveMembers,
             .notice_kind = std::string(notice_kind::kMembersRemoved),
             .actor_id = user_id,
             .user_ids = removed},
            now);
    return removed;
  });
}

absl::Status GroupsStore::Leave(int64_t user_id, int64_t group_id) {
  core::TimePoint now = clock_.Now();
  return pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    PLAZA_ASSIGN_OR_RETURN(LockedGroup group, LockGroup(tx, group_id, user_id));
    if (!group.role) return GroupNotFound();
    // A dissolved group has no one to hand it to: anyone may go, the owner too.
    if (*group.role == v1::MEMBER_ROLE_OWNER && !group.dissolved) {
      return FailedPrecondition("OWNER_CANNOT_LEAVE",
                                "transfer the ownership to another member before leaving");
    }
    DeleteMembers(tx, group_id, {user_id});
    Enqueue(tx, group_id,
            {.op = ConversationOp::kRemoveMembers,
             .notice_kind = std::string(notice_kind::kMemberLeft),
             .actor_id = user_id,
             .user_ids = {user_id}},
            now);
    return absl::OkStatus();
  });
}

absl::StatusOr<v1::Invite> GroupsStore::CreateInvite(int64_t user_id, int64_t group_id,
                                                     core::TimePoint expires_at) {
  int64_t invite_id = ids_.Next();
  core::TimePoint now = clock_.Now();
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<v1::Invite> {
    PLAZA_ASSIGN_OR_RETURN(LockedGroup group, LockForChange(tx, group_id, user_id));
    PLAZA_RETURN_IF_ERROR(RequireCanInvite(group.who_can_invite, *group.role));
    pg::Exec(tx,
             "INSERT INTO groups.invites (group_id, invite_id, creator_id, expires_at, created_at) "
             "VALUES ($1, $2, $3, " GROUPS_TIME("$4") ", " GROUPS_TIME("$5") ")",
             group_id, invite_id, user_id, core::UnixMicros(expires_at), core::UnixMicros(now));
    v1::Invite invite;
    invite.set_invite_id(invite_id);
    invite.set_group_id(group_id);
    invite.set_creator_id(user_id);
    SetTime(invite.mutable_expire_time(), core::UnixMicros(expires_at));
    return invite;
  });
}

absl::Status GroupsStore::RevokeInvite(int64_t user_id, int64_t group_id, int64_t invite_id) {
  core::TimePoint now = clock_.Now();
  return pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    PLAZA_ASSIGN_OR_RETURN(LockedGroup group, LockForChange(tx, group_id, user_id));
    auto rows =
        pg::Exec(tx, "SELECT creator_id FROM groups.invites WHERE group_id = $1 AND invite_id = $2",
                 group_id, invite_id);
    if (rows.empty()) return NotFound("INVITE_NOT_FOUND", "no such invitation in this group");
    if (rows[0][0].as<int64_t>() != user_id) PLAZA_RETURN_IF_ERROR(RequireManager(*group.role));
    pg::Exec(tx,
             "UPDATE groups.invites SET revoked_at = " GROUPS_TIME(
                 "$3") " WHERE group_id = $1 AND invite_id = $2 AND revoked_at IS NULL",
             group_id, invite_id, core::UnixMicros(now));
    return absl::OkStatus();
  });
}

absl::StatusOr<JoinResult> GroupsStore::JoinByInvite(int64_t user_id, const InviteClaims& claims,
                                                     const std::string& message) {
  int64_t request_id = ids_.Next();
  core::TimePoint now = clock_.Now();
  const int64_t group_id = claims.group_id;
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<JoinResult> {
    PLAZA_ASSIGN_OR_RETURN(LockedGroup group, LockGroup(tx, group_id, user_id));
    if (group.dissolved) {
      return FailedPrecondition("GROUP_DISSOLVED", "this group was dissolved");
    }
    auto invite = pg::Exec(
        tx,
        "SELECT revoked_at IS NOT NULL FROM groups.invites WHERE group_id = $1 AND invite_id = $2",
        group_id, claims.invite_id);
    if (invite.empty()) {
      return InvalidArgument("INVITE_INVALID", "this is not a valid Plaza group invitation");
    }
    // An invitation speaks for its creator, so it ends with their right to invite.
    auto creator_role = RoleIn(tx, group_id, claims.creator_id);
    if (invite[0][0].as<bool>() || !creator_role || !Allows(group.who_can_invite, *creator_role)) {
      return FailedPrecondition("INVITE_REVOKED", "this invitation no longer works");
    }
    JoinResult result;
    if (group.role) {
      result.outcome = v1::JOIN_OUTCOME_ALREADY_MEMBER;
      return result;
    }
    if (NeedsApproval(group.join_approval, *creator_role)) {
      // A user asking again while waiting keeps their first request as it is (the no-op update
      // only makes RETURNING name it).
      auto request = pg::Exec1(tx, 
          "INSERT INTO groups.join_requests (group_id, request_id, user_id, inviter_id, message, "
          "status, created_at) VALUES ($1, $2, $3, $4, $5, $6, " GROUPS_TIME("$7") ") "
          "ON CONFLICT (group_id, user_id) WHERE status = 1 DO UPDATE SET message = "
          "join_requests.message RETURNING request_id",
          group_id, request_id, user_id, claims.creator_id, message, kPending,
          core::UnixMicros(now));
      result.outcome = v1::JOIN_OUTCOME_PENDING_APPROVAL;
      result.request_id = request[0].as<int64_t>();
      return result;
    }
    if (group.member_count >= kMaxMembers) return GroupFull();
    InsertMembers(tx, group_id, {user_id}, claims.creator_id, now);
    Enqueue(tx, group_id,
            {.op = ConversationOp::kAddMembers,
             .notice_kind = std::string(notice_kind::kMemberJoined),
             .actor_id = claims.creator_id,
             .user_ids = {user_id}},
            now);
    result.outcome = v1::JOIN_OUTCOME_JOINED;
    return result;
  });
}

absl::StatusOr<Page<v1::JoinRequest>> GroupsStore::ListJoinRequests(int64_t user_id,
                                                                    int64_t group_id,
                                                                    int32_t page_size,
                                                                    int64_t after_request_id) {
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<Page<v1::JoinRequest>> {
    auto role = RoleIn(tx, group_id, user_id);
    if (!role) return GroupNotFound();
    PLAZA_RETURN_IF_ERROR(RequireManager(*role));
    Page<v1::JoinRequest> page;
    for (const auto& row :
         pg::Exec(tx,
                  "SELECT request_id, user_id, inviter_id, message, " GROUPS_MICROS(
                      "created_at") " "
                                    "FROM groups.join_requests WHERE group_id = $1 AND "
                                    "status = $2 AND request_id > $3 "
                                    "ORDER BY request_id LIMIT $4",
                  group_id, kPending, after_request_id, page_size + 1)) {
      v1::JoinRequest& request = page.items.emplace_back();
      request.set_request_id(row[0].as<int64_t>());
      request.set_group_id(group_id);
      request.set_user_id(row[1].as<int64_t>());
      request.set_inviter_id(row[2].as<int64_t>());
      request.set_message(row[3].as<std::string>());
      SetTime(request.mutable_create_time(), row[4].as<int64_t>());
    }
    page.next_page_token = core::TakePage(
        page.items, page_size, [](const v1::JoinRequest& request) { return request.request_id(); });
    return page;
  });
}

absl::Status GroupsStore::ApproveJoinRequest(int64_t user_id, int64_t group_id,
                                             int64_t request_id) {
  core::TimePoint now = clock_.Now();
  return pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    PLAZA_ASSIGN_OR_RETURN(LockedGroup group, LockForChange(tx, group_id, user_id));
    PLAZA_RETURN_IF_ERROR(RequireManager(*group.role));
    PLAZA_ASSIGN_OR_RETURN(PendingRequest request, LockPendingRequest(tx, group_id, request_id));
    if (group.member_count >= kMaxMembers) return GroupFull();
    Decide(tx, group_id, request_id, kApproved, user_id, now);
    InsertMembers(tx, group_id, {request.user_id}, request.inviter_id, now);
    Enqueue(tx, group_id,
            {.op = ConversationOp::kAddMembers,
             .notice_kind = std::string(notice_kind::kJoinApproved),
             .actor_id = user_id,
             .user_ids = {request.user_id}},
            now);
    return absl::OkStatus();
  });
}

absl::Status GroupsStore::RejectJoinRequest(int64_t user_id, int64_t group_id, int64_t request_id) {
  core::TimePoint now = clock_.Now();
  return pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    PLAZA_ASSIGN_OR_RETURN(LockedGroup group, LockForChange(tx, group_id, user_id));
    PLAZA_RETURN_IF_ERROR(RequireManager(*group.role));
    PLAZA_RETURN_IF_ERROR(LockPendingRequest(tx, group_id, request_id).status());
    Decide(tx, group_id, request_id, kRejected, user_id, now);
    return absl::OkStatus();
  });
}

absl::StatusOr<Page<v1::Member>> GroupsStore::ListMembers(int64_t user_id, int64_t group_id,
                                                          int32_t page_size,
                                                          int64_t after_user_id) {
  core::TimePoint now = clock_.Now();
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<Page<v1::Member>> {
    if (!RoleIn(tx, group_id, user_id)) return GroupNotFound();
    Page<v1::Member> page;
    for (const auto& row :
         pg::Exec(tx,
                  std::string("SELECT ") + kMemberColumns +
                      " FROM groups.members m WHERE m.group_id = $1 AND m.user_id > $2 "
                      "ORDER BY m.user_id LIMIT $3",
                  group_id, after_user_id, page_size + 1)) {
      page.items.push_back(MemberFromRow(row, 0, now));
    }
    page.next_page_token = core::TakePage(
        page.items, page_size, [](const v1::Member& member) { return member.user_id(); });
    return page;
  });
}

absl::StatusOr<v1::Member> GroupsStore::SetNickname(int64_t user_id, int64_t group_id,
                                                    const std::string& nickname) {
  core::TimePoint now = clock_.Now();
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<v1::Member> {
    PLAZA_RETURN_IF_ERROR(LockForChange(tx, group_id, user_id).status());
    pg::Exec(tx, "UPDATE groups.members SET nickname = $3 WHERE group_id = $1 AND user_id = $2",
             group_id, user_id, nickname);
    return MemberIn(tx, group_id, user_id, now);
  });
}

absl::StatusOr<v1::MemberSettings> GroupsStore::UpdateMySettings(
    int64_t user_id, int64_t group_id, std::optional<bool> show_nicknames,
    std::optional<bool> saved_to_contacts) {
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<v1::MemberSettings> {
    auto rows =
        pg::Exec(tx,
                 "UPDATE groups.members SET show_nicknames = coalesce($3, show_nicknames), "
                 "saved_to_contacts = coalesce($4, saved_to_contacts) WHERE group_id = $1 AND "
                 "user_id = $2 RETURNING show_nicknames, saved_to_contacts",
                 group_id, user_id, show_nicknames, saved_to_contacts);
    if (rows.empty()) return GroupNotFound();
    v1::MemberSettings settings;
    settings.set_show_nicknames(rows[0][0].as<bool>());
    settings.set_saved_to_contacts(rows[0][1].as<bool>());
    return settings;
  });
}

absl::StatusOr<SendState> GroupsStore::GetSendState(int64_t group_id, int64_t user_id) {
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<SendState> {
    auto rows = pg::Exec(tx, 
        "SELECT g.dissolved_at IS NOT NULL, g.mute_all, m.role, " GROUPS_MICROS("m.muted_until") " "
        "FROM groups.groups g LEFT JOIN groups.members m ON m.group_id = g.group_id "
        "AND m.user_id = $2 WHERE g.group_id = $1",
        group_id, user_id);
    SendState state;
    if (rows.empty()) return state;
    const auto& row = rows[0];
    state.group_exists = true;
    state.dissolved = row[0].as<bool>();
    state.mute_all = row[1].as<bool>();
    if (!row[2].is_null()) state.role = static_cast<v1::MemberRole>(row[2].as<int>());
    if (!row[3].is_null()) state.muted_until = core::FromUnixMicros(row[3].as<int64_t>());
    return state;
  });
}

absl::StatusOr<std::optional<OutboxEntry>> GroupsStore::ClaimOutboxHead(
    int64_t group_id, std::chrono::seconds lease) {
  core::TimePoint now = clock_.Now();
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<std::optional<OutboxEntry>> {
    // Only the head: a group's changes reach messaging in the order they were committed. Of two
    // deliverers claiming at once, the second waits for the first's row lock, then finds the
    // lease taken and gets nothing.
    auto rows = pg::Exec(tx, 
        "UPDATE groups.outbox o SET "
        "leased_until = " GROUPS_TIME("$2") " + $3::double precision * interval '1 second', "
        "attempts = o.attempts + 1 WHERE o.group_id = $1 AND o.outbox_id = (SELECT h.outbox_id "
        "FROM groups.outbox h WHERE h.group_id = $1 AND h.failed_at IS NULL "
        "ORDER BY h.outbox_id LIMIT 1) AND o.next_attempt_at <= " GROUPS_TIME("$2") " "
        "AND (o.leased_until IS NULL OR o.leased_until <= " GROUPS_TIME("$2") ") "
        "RETURNING o.outbox_id, o.operation, o.notice_kind, o.actor_id, "
        "array_to_string(o.user_ids, ','), o.detail, o.attempts",
        group_id, core::UnixMicros(now), lease.count());
    if (rows.empty()) return std::nullopt;
    const auto& row = rows[0];
    return OutboxEntry{.outbox_id = row[0].as<int64_t>(),
                       .change = {.op = static_cast<ConversationOp>(row[1].as<int>()),
                                  .notice_kind = row[2].as<std::string>(),
                                  .actor_id = row[3].as<int64_t>(),
                                  .user_ids = SplitIds(row[4].as<std::string>()),
                                  .detail = row[5].as<std::string>()},
                       .attempts = row[6].as<int>()};
  });
}

absl::Status GroupsStore::CompleteOutbox(int64_t group_id, int64_t outbox_id) {
  return pool_.Transact([&](pqxx::work& tx) {
    pg::Exec(tx, "DELETE FROM groups.outbox WHERE group_id = $1 AND outbox_id = $2", group_id,
             outbox_id);
    return absl::OkStatus();
  });
}

absl::Status GroupsStore::RetryOutboxLater(int64_t group_id, int64_t outbox_id,
                                           core::TimePoint when, const std::string& error) {
  return pool_.Transact([&](pqxx::work& tx) {
    pg::Exec(tx, 
        "UPDATE groups.outbox SET leased_until = NULL, next_attempt_at = " GROUPS_TIME("$3") ", "
        "last_error = $4 WHERE group_id = $1 AND outbox_id = $2",
        group_id, outbox_id, core::UnixMicros(when), error);
    return absl::OkStatus();
  });
}

absl::Status GroupsStore::FailOutbox(int64_t group_id, int64_t outbox_id,
                                     const std::string& error) {
  core::TimePoint now = clock_.Now();
  return pool_.Transact([&](pqxx::work& tx) {
    pg::Exec(tx, 
        "UPDATE groups.outbox SET leased_until = NULL, failed_at = " GROUPS_TIME("$3") ", "
        "last_error = $4 WHERE group_id = $1 AND outbox_id = $2",
        group_id, outbox_id, core::UnixMicros(now), error);
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<int64_t>> GroupsStore::GroupsWithDueChanges(int32_t limit) {
  core::TimePoint now = clock_.Now();
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<std::vector<int64_t>> {
    std::vector<int64_t> groups;
    // Heads only: a group whose oldest change waits is not due, whatever follows it.
    for (const auto& row :
         pg::Exec(tx,
                  "SELECT o.group_id FROM groups.outbox o WHERE o.failed_at IS NULL AND "
                  "o.next_attempt_at <= " GROUPS_TIME(
                      "$1") " AND (o.leased_until IS NULL OR "
                            "o.leased_until <= " GROUPS_TIME(
                                "$1") ") AND NOT EXISTS (SELECT 1 FROM "
                                      "groups.outbox e WHERE e.group_id = o.group_id AND "
                                      "e.outbox_id < o.outbox_id AND "
                                      "e.failed_at IS NULL) LIMIT $2",
                  core::UnixMicros(now), limit)) {
      groups.push_back(row[0].as<int64_t>());
    }
    return groups;
  });
}

}  // namespace plaza::groups
