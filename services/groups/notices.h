#pragma once

// What messaging must be told about each committed change of a group (the outbox holds these,
// see outbox_relay.h), and the system notice that shows the change in the group's conversation.
// No I/O: the people's names come in from identity.

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "plaza/messaging/v1/messages.pb.h"

namespace plaza::groups {

// The messaging call a change becomes; the values are stored in outbox.operation.
enum class ConversationOp : int {
  kCreate = 1,         // CreateConversation, user_ids being every member
  kAddMembers = 2,     // AddMembers(user_ids)
  kRemoveMembers = 3,  // RemoveMembers(user_ids)
  kPostNotice = 4,     // PostMessage from the system (sender 0)
  kClose = 5,          // CloseConversation
};

// SystemNotice.kind values: stable, for clients to render the notice their own way.
namespace notice_kind {
inline constexpr std::string_view kCreated = "group.created";
inline constexpr std::string_view kMembersInvited = "group.members_invited";
inline constexpr std::string_view kMemberJoined = "group.member_joined";  // by an invitation
inline constexpr std::string_view kJoinApproved = "group.join_approved";
inline constexpr std::string_view kMembersRemoved = "group.members_removed";
inline constexpr std::string_view kMemberLeft = "group.member_left";
inline constexpr std::string_view kRenamed = "group.renamed";
inline constexpr std::string_view kAvatarChanged = "group.avatar_changed";
inline constexpr std::string_view kAnnouncement = "group.announcement";
inline constexpr std::string_view kSettingsChanged = "group.settings_changed";
inline constexpr std::string_view kMuteAllOn = "group.mute_all_on";
inline constexpr std::string_view kMuteAllOff = "group.mute_all_off";
inline constexpr std::string_view kMemberMuted = "group.member_muted";
inline constexpr std::string_view kMemberUnmuted = "group.member_unmuted";
inline constexpr std::string_view kAdminAdded = "group.admin_added";
inline constexpr std::string_view kAdminRemoved = "group.admin_removed";
inline constexpr std::string_view kOwnerChanged = "group.owner_changed";
inline constexpr std::string_view kMessagePinned = "group.message_pinned";
inline constexpr std::string_view kMessageUnpinned = "group.message_unpinned";
inline constexpr std::string_view kDissolved = "group.dissolved";
}  // namespace notice_kind

struct ConversationChange {
  ConversationOp op = ConversationOp::kPostNotice;
  std::string notice_kind;
  int64_t actor_id = 0;           // who did it (for a join: whose invitation was used)
  std::vector<int64_t> user_ids;  // the members concerned (kCreate: every member, actor included)
  std::string detail;             // the new name, the announcement, a mute's length in words
};

// A notice names at most this many of the people it is about; the rest are counted.
inline constexpr size_t kNamedSubjects = 10;
// Messaging's limit on a notice's text.
inline constexpr size_t kMaxNoticeTextBytes = 1024;

// Whose display names the notice needs: the actor, then the first kNamedSubjects others.
std::vector<int64_t> NamedUsers(const ConversationChange& change);

// The notice: the kind, an English text naming people by `names` ("a member" for anyone
// missing), and user_ids = the actor, then the others concerned.
messaging::v1::SystemNotice RenderNotice(const ConversationChange& change,
                                         const std::map<int64_t, std::string>& names);

// What a kPostNotice change posts: the notice; announcements also mention @all, so every member
// gets an "@ me" marker.
messaging::v1::MessageContent NoticeContent(const ConversationChange& change,
                                            messaging::v1::SystemNotice notice);

// `text` cut to at most `max_bytes` bytes on a character boundary, ending in "…" if cut.
std::string TruncateUtf8(std::string_view text, size_t max_bytes);

// A mute's length in words: "10 minutes", "1 hour", "3 days" (rounded down to the largest unit).
std::string DescribeDuration(std::chrono::seconds duration);

}  // namespace plaza::groups
