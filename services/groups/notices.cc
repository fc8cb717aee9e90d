#include "services/groups/notices.h"

#include <algorithm>

namespace plaza::groups {
namespace {

// {actor}: the actor's name; {users}: the others concerned; {detail}: ConversationChange.detail.
std::string_view TemplateOf(std::string_view kind) {
  namespace k = notice_kind;
  static const std::map<std::string_view, std::string_view> kTemplates = {
      {k::kCreated, "{actor} created the group with {users}"},
      {k::kMembersInvited, "{actor} invited {users} to the group"},
      {k::kMemberJoined, "{users} joined the group through an invitation from {actor}"},
      {k::kJoinApproved, "{actor} let {users} join the group"},
      {k::kMembersRemoved, "{actor} removed {users} from the group"},
      {k::kMemberLeft, "{actor} left the group"},
      {k::kRenamed, "{actor} renamed the group to \"{detail}\""},
      {k::kAvatarChanged, "{actor} changed the group photo"},
      {k::kAnnouncement, "{actor} posted an announcement: {detail}"},
      {k::kSettingsChanged, "{actor} changed the group settings"},
      {k::kMuteAllOn, "{actor} turned on mute all: only the owner and admins can speak"},
      {k::kMuteAllOff, "{actor} turned off mute all"},
      {k::kMemberMuted, "{actor} muted {users} for {detail}"},
      {k::kMemberUnmuted, "{actor} unmuted {users}"},
      {k::kAdminAdded, "{actor} made {users} an admin"},
      {k::kAdminRemoved, "{actor} removed {users} as admin"},
      {k::kOwnerChanged, "{actor} made {users} the group owner"},
      {k::kMessagePinned, "{actor} pinned a message"},
      {k::kMessageUnpinned, "{actor} unpinned the pinned message"},
      {k::kDissolved, "{actor} dissolved the group"},
  };
  auto found = kTemplates.find(kind);
  return found == kTemplates.end() ? "{actor} changed the group" : found->second;
}

std::vector<int64_t> Subjects(const ConversationChange& change) {
  std::vector<int64_t> subjects;
  for (int64_t id : change.user_ids) {
    if (id != change.actor_id) subjects.push_back(id);
  }
  return subjects;
}

std::string NameOf(int64_t user_id, const std::map<int64_t, std::string>& names) {
  auto found = names.find(user_id);
  return found == names.end() ? "a member" : found->second;
}

// "Lei", "Lei and Zhao", "Lei, Zhao and Wu", "A, ..., J and 3 others".
std::string JoinNames(const std::vector<int64_t>& users,
                      const std::map<int64_t, std::string>& names) {
  size_t named = std::min(users.size(), kNamedSubjects);
  size_t others = users.size() - named;
  std::vector<std::string> parts;
  for (size_t i = 0; i < named; ++i) parts.push_back(NameOf(users[i], names));
  if (others > 0) parts.push_back(std::to_string(others) + (others == 1 ? " other" : " others"));
  std::string joined;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) joined += i + 1 == parts.size() ? " and " : ", ";
    joined += parts[i];
  }
  return joined;
}

}  // namespace

std::vector<int64_t> NamedUsers(const ConversationChange& change) {
  std::vector<int64_t> users;
  if (change.actor_id != 0) users.push_back(change.actor_id);
  auto subjects = Subjects(change);
  subjects.resize(std::min(subjects.size(), kNamedSubjects));
  users.insert(users.end(), subjects.begin(), subjects.end());
  return users;
}

messaging::v1::SystemNotice RenderNotice(const ConversationChange& change,
                                         const std::map<int64_t, std::string>& names) {
  messaging::v1::SystemNotice notice;
  notice.set_kind(change.notice_kind);
  auto subjects = Subjects(change);
  if (change.actor_id != 0) notice.add_user_ids(change.actor_id);
  for (int64_t id : subjects) notice.add_user_ids(id);
  // Placeholders are filled once each, in this order, so a name that looks like "{detail}" stays
  // a name.
  std::string text(TemplateOf(change.notice_kind));
  std::string actor = NameOf(change.actor_id, names);
  std::string users = JoinNames(subjects, names);
  std::string filled;
  for (size_t i = 0; i < text.size();) {
    bool replaced = false;
    for (auto [placeholder, value] :
         {std::pair<std::string_view, std::string_view>{"{actor}", actor},
          {"{users}", users},
          {"{detail}", change.detail}}) {
      if (std::string_view(text).substr(i).starts_with(placeholder)) {
        filled += value;
        i += placeholder.size();
        replaced = true;
        break;
      }
    }
    if (!replaced) filled += text[i++];
  }
  notice.set_text(TruncateUtf8(filled, kMaxNoticeTextBytes));
  return notice;
}

messaging::v1::MessageContent NoticeContent(const ConversationChange& change,
                                            messaging::v1::SystemNotice notice) {
  messaging::v1::MessageContent content;
  *content.mutable_system_notice() = std::move(notice);
  if (change.notice_kind == notice_kind::kAnnouncement) content.mutable_mentions()->set_all(true);
  return content;
}

std::string TruncateUtf8(std::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return std::string(text);
  constexpr std::string_view kEllipsis = "…";
  bool room_for_ellipsis = max_bytes >= kEllipsis.size();
  size_t cut = room_for_ellipsis ? max_bytes - kEllipsis.size() : max_bytes;
  // Back up over continuation bytes (10xxxxxx) to the start of a character.
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  std::string out(text.substr(0, cut));
  if (room_for_ellipsis) out += kEllipsis;
  return out;
}

std::string DescribeDuration(std::chrono::seconds duration) {
  struct Unit {
    int64_t seconds;
    std::string_view name;
  };
  static constexpr Unit kUnits[] = {{86400, "day"}, {3600, "hour"}, {60, "minute"}, {1, "second"}};
  int64_t total = duration.count();
  for (const Unit& unit : kUnits) {
    if (total >= unit.seconds || unit.seconds == 1) {
      int64_t count = total / unit.seconds;
      return std::to_string(count) + " " + std::string(unit.name) + (count == 1 ? "" : "s");
    }
  }
  return "";
}

}  // namespace plaza::groups
