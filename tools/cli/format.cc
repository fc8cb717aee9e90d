#include "tools/cli/format.h"

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <set>

#include "absl/strings/cord.h"
#include "plaza/core/status.h"
#include "tools/cli/peer_ref.h"

namespace plaza::cli {
namespace {

using google::protobuf::util::TimeUtil;
using messaging::v1::MessageContent;

// Debian's Abseil keeps its own string_view type, distinct from std::string_view.
constexpr absl::string_view kRetryAfterPayload = "plaza.retry_after_ms";

// Decodes one UTF-8 code point at `text[i]`, advancing `i`; a malformed byte decodes as itself.
char32_t NextCodePoint(std::string_view text, size_t& i) {
  auto byte = static_cast<unsigned char>(text[i]);
  int extra = byte >= 0xF0 ? 3 : byte >= 0xE0 ? 2 : byte >= 0xC0 ? 1 : 0;
  if (i + static_cast<size_t>(extra) >= text.size()) extra = 0;
  for (int k = 1; k <= extra; ++k) {
    if ((static_cast<unsigned char>(text[i + static_cast<size_t>(k)]) & 0xC0) != 0x80) extra = 0;
  }
  char32_t point = extra == 0 ? byte : byte & (0x3F >> extra);
  for (int k = 1; k <= extra; ++k) {
    point = (point << 6) | (static_cast<unsigned char>(text[i + static_cast<size_t>(k)]) & 0x3F);
  }
  i += 1 + static_cast<size_t>(extra);
  return point;
}

bool IsWide(char32_t point) {
  return (point >= 0x1100 && point <= 0x115F) || (point >= 0x2E80 && point <= 0xA4CF) ||
         (point >= 0xAC00 && point <= 0xD7A3) || (point >= 0xF900 && point <= 0xFAFF) ||
         (point >= 0xFE30 && point <= 0xFE4F) || (point >= 0xFF00 && point <= 0xFF60) ||
         (point >= 0xFFE0 && point <= 0xFFE6) || (point >= 0x1F300 && point <= 0x1F64F) ||
         (point >= 0x1F900 && point <= 0x1F9FF) || (point >= 0x20000 && point <= 0x3FFFD);
}

int64_t Seconds(const google::protobuf::Timestamp& time) {
  return TimeUtil::TimestampToSeconds(time);
}

std::string YesNo(bool value) { return value ? "yes" : "no"; }

std::string MediaLabel(std::string_view kind, int32_t duration_ms) {
  std::string label = "[" + std::string(kind);
  if (duration_ms > 0) label += " " + std::to_string(duration_ms / 1000) + "s";
  return label + "]";
}

std::string StatusName(identity::v1::FriendRequestStatus status) {
  switch (status) {
    case identity::v1::FRIEND_REQUEST_STATUS_PENDING:
      return "pending";
    case identity::v1::FRIEND_REQUEST_STATUS_ACCEPTED:
      return "accepted";
    case identity::v1::FRIEND_REQUEST_STATUS_DECLINED:
      return "declined";
    default:
      return "unknown";
  }
}

std::string Indent(const std::string& lines) {
  std::string indented;
  size_t start = 0;
  while (start < lines.size()) {
    size_t end = lines.find('\n', start);
    if (end == std::string::npos) end = lines.size() - 1;
    indented += "  " + lines.substr(start, end - start + 1);
    start = end + 1;
  }
  return indented;
}

}  // namespace

std::string JsonQuote(std::string_view text) {
  std::string quoted = "\"";
  for (char c : text) {
    switch (c) {
      case '"':
        quoted += "\\\"";
        break;
      case '\\':
        quoted += "\\\\";
        break;
      case '\n':
        quoted += "\\n";
        break;
      case '\r':
        quoted += "\\r";
        break;
      case '\t':
        quoted += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char escaped[8];
          std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned>(c));
          quoted += escaped;
        } else {
          quoted += c;
        }
    }
  }
  return quoted + "\"";
}

std::string ProtoJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  std::string json;
  // Printing a valid message of a generated type cannot fail.
  (void)google::protobuf::util::MessageToJsonString(message, &json, options);
  return json;
}

JsonObject& JsonObject::Add(std::string_view key, std::string_view value) {
  return AddJson(key, JsonQuote(value));
}

JsonObject& JsonObject::AddNumber(std::string_view key, int64_t value) {
  return AddJson(key, std::to_string(value));
}

JsonObject& JsonObject::AddBool(std::string_view key, bool value) {
  return AddJson(key, value ? "true" : "false");
}

JsonObject& JsonObject::AddJson(std::string_view key, std::string_view json) {
  if (!members_.empty()) members_ += ",";
  members_ += JsonQuote(key) + ":" + std::string(json);
  return *this;
}

std::string MergeJsonObjects(std::string_view first, std::string_view second) {
  // The insides, without the braces.
  auto inside = [](std::string_view object) {
    return object.size() < 2 ? std::string_view() : object.substr(1, object.size() - 2);
  };
  std::string_view a = inside(first);
  std::string_view b = inside(second);
  std::string merged = "{" + std::string(a);
  if (!a.empty() && !b.empty()) merged += ",";
  return merged + std::string(b) + "}";
}

absl::Status WithRetryAfter(absl::Status status, int64_t retry_after_ms) {
  std::string value = std::to_string(retry_after_ms);
  status.SetPayload(kRetryAfterPayload, absl::Cord(absl::string_view(value.data(), value.size())));
  return status;
}

int64_t RetryAfterMs(const absl::Status& status) {
  auto payload = status.GetPayload(kRetryAfterPayload);
  if (!payload) return 0;
  std::string text(*payload);
  return std::strtoll(text.c_str(), nullptr, 10);
}

std::string DescribeStatus(const absl::Status& status) {
  std::string line(status.message());
  if (int64_t retry_after = RetryAfterMs(status); retry_after > 0) {
    line += "; retry after " + std::to_string(retry_after) + " ms";
  }
  line += " (" + absl::StatusCodeToString(status.code());
  if (std::string reason = ReasonOf(status); !reason.empty()) line += ", " + reason;
  return line + ")";
}

std::string ErrorLine(const absl::Status& status) { return "plaza: " + DescribeStatus(status); }

std::string ErrorJson(const absl::Status& status) {
  JsonObject error;
  error.Add("code", absl::StatusCodeToString(status.code()))
      .Add("reason", ReasonOf(status))
      .Add("message", std::string(status.message()));
  if (int64_t retry_after = RetryAfterMs(status); retry_after > 0) {
    error.AddNumber("retry_after_ms", retry_after);
  }
  return JsonObject().AddJson("error", error.str()).str();
}

size_t DisplayWidth(std::string_view text) {
  size_t width = 0;
  for (size_t i = 0; i < text.size();) width += IsWide(NextCodePoint(text, i)) ? 2 : 1;
  return width;
}

std::string OneLine(std::string_view text, size_t max_width) {
  std::string line;
  for (char c : text) {
    bool space = c == ' ' || c == '\n' || c == '\r' || c == '\t';
    if (!space) {
      line += c;
    } else if (line.empty() || line.back() != ' ') {
      line += ' ';
    }
  }
  if (DisplayWidth(line) <= max_width) return line;
  constexpr std::string_view kEllipsis = "...";
  std::string cut;
  size_t width = 0;
  for (size_t i = 0; i < line.size();) {
    size_t start = i;
    size_t point_width = IsWide(NextCodePoint(line, i)) ? 2 : 1;
    if (width + point_width + kEllipsis.size() > max_width) break;
    width += point_width;
    cut.append(line, start, i - start);
  }
  return cut + std::string(kEllipsis);
}

std::string RenderTable(const std::vector<std::string>& header,
                        const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths(header.size(), 0);
  auto measure = [&](const std::vector<std::string>& row) {
    for (size_t column = 0; column < row.size() && column < widths.size(); ++column) {
      widths[column] = std::max(widths[column], DisplayWidth(row[column]));
    }
  };
  measure(header);
  for (const auto& row : rows) measure(row);
  auto render = [&](const std::vector<std::string>& row) {
    std::string line;
    for (size_t column = 0; column < row.size(); ++column) {
      line += row[column];
      if (column + 1 < row.size()) {
        line += std::string(widths[column] - DisplayWidth(row[column]) + 2, ' ');
      }
    }
    return line + "\n";
  };
  std::string table = render(header);
  for (const auto& row : rows) table += render(row);
  return table;
}

std::string RenderFields(const std::vector<std::pair<std::string, std::string>>& fields) {
  size_t width = 0;
  for (const auto& field : fields) width = std::max(width, field.first.size());
  std::string text;
  for (const auto& [key, value] : fields) {
    text.append(key).append(":").append(width - key.size() + 2, ' ').append(value).append("\n");
  }
  return text;
}

std::string FormatTime(int64_t unix_seconds, int64_t now_unix_seconds) {
  auto time = static_cast<std::time_t>(unix_seconds);
  auto now = static_cast<std::time_t>(now_unix_seconds);
  std::tm local{};
  std::tm today{};
  localtime_r(&time, &local);
  localtime_r(&now, &today);
  bool same_day = local.tm_year == today.tm_year && local.tm_yday == today.tm_yday;
  char text[32];
  std::strftime(text, sizeof text, same_day ? "%H:%M" : "%Y-%m-%d %H:%M", &local);
  return text;
}

std::string NameBook::NameOf(int64_t user_id) const {
  if (user_id == 0) return "Plaza";
  if (user_id == me) return "me";
  auto found = names.find(user_id);
  return found != names.end() ? found->second : "user " + std::to_string(user_id);
}

std::string JoinNames(const std::vector<std::string>& names) {
  std::string text;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) text += i + 1 == names.size() ? " and " : ", ";
    text += names[i];
  }
  return text;
}

std::string ProfileName(const identity::v1::Profile& profile) {
  if (profile.plaza_id().empty()) return profile.display_name();
  return profile.display_name() + " (@" + profile.plaza_id() + ")";
}

NameBook FriendNames(int64_t me, const identity::v1::ListFriendsResponse& friends) {
  NameBook names{.me = me};
  for (const auto& friend_entry : friends.friends()) {
    names.names[friend_entry.profile().user_id()] = friend_entry.remark().empty()
                                                        ? friend_entry.profile().display_name()
                                                        : friend_entry.remark();
  }
  return names;
}

NameBook GroupNames(int64_t me, const identity::v1::ListFriendsResponse& friends,
                    const groups::v1::ListMembersResponse& members, bool show_nicknames) {
  NameBook names = FriendNames(me, friends);
  if (!show_nicknames) return names;
  std::set<int64_t> remarked;
  for (const auto& friend_entry : friends.friends()) {
    if (!friend_entry.remark().empty()) remarked.insert(friend_entry.profile().user_id());
  }
  for (const auto& member : members.members()) {
    if (member.nickname().empty() || remarked.contains(member.user_id())) continue;
    names.names[member.user_id()] = member.nickname();
  }
  return names;
}

std::string DescribeContent(const MessageContent& content) {
  switch (content.body_case()) {
    case MessageContent::kText:
      return content.text().text();
    case MessageContent::kImage:
      return "[image]";
    case MessageContent::kVoice:
      return MediaLabel("voice", content.voice().duration_ms());
    case MessageContent::kVideo:
      return MediaLabel("video", content.video().duration_ms());
    case MessageContent::kFile:
      return "[file " + content.file().file_name() + "]";
    case MessageContent::kLocation: {
      const auto& location = content.location();
      if (!location.label().empty()) return "[location: " + location.label() + "]";
      char text[64];
      std::snprintf(text, sizeof text, "[location %.5f, %.5f]", location.latitude(),
                    location.longitude());
      return text;
    }
    case MessageContent::kSticker:
      return "[sticker]";
    case MessageContent::kContactCard:
      return "[contact card: user " + std::to_string(content.contact_card().user_id()) + "]";
    case MessageContent::kLinkCard: {
      const auto& link = content.link_card();
      return "[link: " + (link.title().empty() ? link.url() : link.title() + " " + link.url()) +
             "]";
    }
    case MessageContent::kCard:
      return content.card().fallback_text().empty() ? "[" + content.card().type() + "]"
                                                    : content.card().fallback_text();
    case MessageContent::kSystemNotice:
      return content.system_notice().text();
    case MessageContent::BODY_NOT_SET:
      break;
  }
  return "[empty message]";
}

std::string RenderMessage(const messaging::v1::Message& message, const NameBook& names,
                          int64_t now_unix_seconds, bool show_seq) {
  std::string line = show_seq ? "#" + std::to_string(message.seq()) + " " : "";
  line += "[" + FormatTime(Seconds(message.send_time()), now_unix_seconds) + "] ";
  if (message.state() == messaging::v1::MESSAGE_STATE_RECALLED) {
    return line + names.NameOf(message.sender_id()) + " recalled a message";
  }
  const MessageContent& content = message.content();
  if (content.has_system_notice()) return line + "* " + content.system_notice().text();
  line += names.NameOf(message.sender_id()) + ": ";
  if (message.forwarded()) line += "(forwarded) ";
  if (content.reply_to_seq() > 0) line += "(re #" + std::to_string(content.reply_to_seq()) + ") ";
  std::string body = DescribeContent(content);
  // Continuation lines are indented so a multi-line text reads as one message.
  for (size_t newline = body.find('\n'); newline != std::string::npos;
       newline = body.find('\n', newline + 3)) {
    body.replace(newline, 1, "\n  ");
  }
  line += body;
  if (message.edit_count() > 0) line += " (edited)";
  return line;
}

std::string ConversationTitle(const messaging::v1::Conversation& conversation,
                              const NameBook& names) {
  switch (conversation.kind()) {
    case messaging::v1::CONVERSATION_KIND_DIRECT:
      return names.NameOf(conversation.peer_user_id());
    case messaging::v1::CONVERSATION_KIND_GROUP:
      return "group " + std::to_string(conversation.group_id());
    case messaging::v1::CONVERSATION_KIND_OFFICIAL:
      return "official account";
    default:
      return "conversation";
  }
}

std::string RenderMyProfile(const identity::v1::GetMyProfileResponse& response) {
  const auto& profile = response.profile();
  std::vector<std::pair<std::string, std::string>> fields = {
      {"name", profile.display_name()},
      {"user id", std::to_string(profile.user_id())},
      {"Plaza ID", profile.plaza_id().empty() ? "(not set: plaza profile --plaza-id NAME)"
                                              : profile.plaza_id()},
      {"phone", response.phone()},
  };
  if (!profile.region().empty()) fields.emplace_back("region", profile.region());
  if (!profile.signature().empty()) fields.emplace_back("signature", profile.signature());
  fields.emplace_back("password", response.has_password() ? "set" : "not set");
  const auto& privacy = response.privacy();
  fields.emplace_back("findable by phone", YesNo(privacy.findable_by_phone()));
  fields.emplace_back("findable by Plaza ID", YesNo(privacy.findable_by_plaza_id()));
  fields.emplace_back("requests need approval", YesNo(privacy.friend_requests_need_approval()));
  return RenderFields(fields);
}

std::string RenderSearch(const identity::v1::SearchUserResponse& response, int64_t me) {
  const auto& profile = response.profile();
  std::string text = ProfileName(profile) + ", user " + std::to_string(profile.user_id()) + "\n";
  std::vector<std::pair<std::string, std::string>> fields;
  if (!profile.region().empty()) fields.emplace_back("region", profile.region());
  if (!profile.signature().empty()) fields.emplace_back("signature", profile.signature());
  text += RenderFields(fields);
  if (profile.user_id() == me) return text + "That is you.\n";
  return text + (response.is_friend() ? "Already your friend.\n"
                                      : "Not your friend yet: plaza add " +
                                            std::to_string(profile.user_id()) + "\n");
}

std::string RenderFriends(const identity::v1::ListFriendsResponse& response) {
  if (response.friends().empty()) {
    return "No friends yet. Find people with: plaza search <plaza-id-or-phone>\n";
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& friend_entry : response.friends()) {
    const auto& profile = friend_entry.profile();
    rows.push_back({std::to_string(profile.user_id()), profile.display_name(), profile.plaza_id(),
                    friend_entry.remark()});
  }
  return RenderTable({"USER", "NAME", "PLAZA ID", "REMARK"}, rows);
}

std::string RenderFriendRequests(const identity::v1::ListFriendRequestsResponse& response,
                                 bool outgoing, int64_t now_unix_seconds) {
  if (response.requests().empty()) {
    return outgoing ? "No friend requests sent.\n" : "No friend requests received.\n";
  }
  std::vector<std::vector<std::string>> rows;
  bool any_pending = false;
  for (const auto& request : response.requests()) {
    any_pending |= request.status() == identity::v1::FRIEND_REQUEST_STATUS_PENDING;
    rows.push_back(
        {std::to_string(request.request_id()),
         ProfileName(request.peer()) + ", user " + std::to_string(request.peer().user_id()),
         StatusName(request.status()), FormatTime(Seconds(request.create_time()), now_unix_seconds),
         OneLine(request.greeting(), 40)});
  }
  std::string table =
      RenderTable({"REQUEST", outgoing ? "TO" : "FROM", "STATUS", "SENT", "GREETING"}, rows);
  if (!outgoing && any_pending) table += "Accept one with: plaza accept <request>\n";
  return table;
}

std::string RenderConversations(const messaging::v1::ListConversationsResponse& response,
                                const NameBook& names, int64_t now_unix_seconds) {
  if (response.conversations().empty()) {
    return "No conversations yet. Start one with: plaza send <friend> <text>\n";
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& conversation : response.conversations()) {
    std::string with = ConversationTitle(conversation, names);
    if (conversation.settings().pinned()) with += " (pinned)";
    if (conversation.settings().muted()) with += " (muted)";
    std::string unread = std::to_string(conversation.unread_count());
    if (conversation.unread_mention_count() > 0) {
      unread += " (@" + std::to_string(conversation.unread_mention_count()) + ")";
    }
    std::string last = conversation.has_last_message()
                           ? OneLine(RenderMessage(conversation.last_message(), names,
                                                   now_unix_seconds, /*show_seq=*/false),
                                     60)
                           : "";
    rows.push_back({ConversationRef(conversation.conversation_id()), with, unread, last});
  }
  return RenderTable({"CONVERSATION", "WITH", "UNREAD", "LAST MESSAGE"}, rows) +
         "Unread in total: " + std::to_string(response.total_unread_count()) + "\n";
}

std::string RenderHistory(const messaging::v1::GetHistoryResponse& response, const NameBook& names,
                          int64_t now_unix_seconds,
                          const std::map<int64_t, messaging::v1::ReadCount>& read_counts) {
  if (response.messages().empty()) return "No messages.\n";
  std::string text;
  for (const auto& message : response.messages()) {
    text += RenderMessage(message, names, now_unix_seconds, /*show_seq=*/true);
    if (auto count = read_counts.find(message.seq()); count != read_counts.end()) {
      text += "  (" + ReadCountText(count->second) + ")";
    }
    text += "\n";
  }
  if (response.has_more()) {
    text += "(older messages: --before " + std::to_string(response.messages(0).seq()) + ")\n";
  }
  return text;
}

std::string RenderSync(const messaging::v1::SyncResponse& response, const NameBook& names,
                       int64_t now_unix_seconds) {
  std::string text;
  for (const auto& changes : response.changes()) {
    const auto& conversation = changes.conversation();
    text += ConversationRef(conversation.conversation_id()) + " with " +
            ConversationTitle(conversation, names) + ": " +
            std::to_string(conversation.unread_count()) + " unread\n";
    // A reset without messages is a device's first sync: state only, history loads on demand.
    if (changes.reset() && !changes.messages().empty()) {
      text += "  (too much changed; the newest messages:)\n";
    }
    std::string messages;
    for (const auto& message : changes.messages()) {
      messages += RenderMessage(message, names, now_unix_seconds, /*show_seq=*/true) + "\n";
    }
    text += Indent(messages);
    if (!changes.deleted_seqs().empty()) {
      std::string deleted;
      for (int64_t seq : changes.deleted_seqs()) {
        deleted += (deleted.empty() ? "#" : ", #") + std::to_string(seq);
      }
      text += "  deleted by you: " + deleted + "\n";
    }
  }
  if (text.empty()) text = "Nothing new.\n";
  return text + "Unread in total: " + std::to_string(response.total_unread_count()) + "\n";
}

std::string ReadCountText(const messaging::v1::ReadCount& count) {
  return "read by " + std::to_string(count.read_count()) + " of " +
         std::to_string(count.audience_count());
}

std::string RenderReadCounts(const messaging::v1::GetReadCountsResponse& response) {
  if (response.read_counts().empty()) return "No messages.\n";
  std::vector<std::vector<std::string>> rows;
  for (const auto& count : response.read_counts()) {
    rows.push_back({"#" + std::to_string(count.seq()), ReadCountText(count)});
  }
  return RenderTable({"MESSAGE", "READ"}, rows);
}

std::string RoleName(groups::v1::MemberRole role) {
  switch (role) {
    case groups::v1::MEMBER_ROLE_OWNER:
      return "owner";
    case groups::v1::MEMBER_ROLE_ADMIN:
      return "admin";
    default:
      return "member";
  }
}

std::string GroupTitle(const groups::v1::Group& group) {
  return group.name().empty() ? "group " + std::to_string(group.group_id()) : group.name();
}

std::string RenderGroups(const groups::v1::ListMyGroupsResponse& response,
                         int64_t now_unix_seconds) {
  if (response.groups().empty()) {
    return "You are in no group. Start one with: plaza group create <name> <friend> <friend>\n";
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& group : response.groups()) {
    std::vector<std::string> notes;
    if (group.dissolved()) notes.emplace_back("dissolved");
    if (group.mute_all()) notes.emplace_back("only admins speak");
    if (group.me().has_mute_end_time() && Seconds(group.me().mute_end_time()) > now_unix_seconds) {
      notes.emplace_back("you are muted until " +
                         FormatTime(Seconds(group.me().mute_end_time()), now_unix_seconds));
    }
    std::string note;
    for (const auto& each : notes) note += (note.empty() ? "" : ", ") + each;
    rows.push_back({std::to_string(group.group_id()), OneLine(group.name(), 30),
                    std::to_string(group.member_count()), RoleName(group.me().role()), note});
  }
  return RenderTable({"GROUP", "NAME", "MEMBERS", "ME", "NOTES"}, rows);
}

std::string RenderGroupInfo(const groups::v1::Group& group,
                            const groups::v1::ListMembersResponse& members, const NameBook& names,
                            int64_t now_unix_seconds) {
  auto permission = [](groups::v1::Permission who) {
    return who == groups::v1::PERMISSION_OWNER_AND_ADMINS ? "owner and admins" : "every member";
  };
  std::vector<std::pair<std::string, std::string>> fields = {
      {"name", group.name().empty() ? "(none)" : group.name()},
      {"group id", std::to_string(group.group_id()) + " (chat: plaza chat --group " +
                       std::to_string(group.group_id()) + ")"},
      {"owner", names.NameOf(group.owner_id())},
      {"members", std::to_string(group.member_count())},
      {"you are", RoleName(group.me().role())},
      {"created", FormatTime(Seconds(group.create_time()), now_unix_seconds)},
  };
  if (!group.description().empty()) fields.emplace_back("description", group.description());
  const auto& announcement = group.announcement();
  if (!announcement.text().empty()) {
    fields.emplace_back(
        "announcement",
        OneLine(announcement.text(), 60) + " (" + names.NameOf(announcement.author_id()) + ", " +
            FormatTime(Seconds(announcement.update_time()), now_unix_seconds) + ")");
  }
  if (group.pinned_seq() > 0)
    fields.emplace_back("pinned", "#" + std::to_string(group.pinned_seq()));
  fields.emplace_back("who may speak",
                      group.mute_all() ? "owner and admins (everyone else muted)" : "every member");
  fields.emplace_back("who may invite", permission(group.settings().who_can_invite()));
  fields.emplace_back("who may rename", permission(group.settings().who_can_edit_name()));
  fields.emplace_back("joining", group.settings().join_approval()
                                     ? "needs an owner's or admin's approval"
                                     : "open to those invited");
  if (group.dissolved()) fields.emplace_back("dissolved", "yes: read-only");
  std::string text = RenderFields(fields) + "\n";

  std::vector<std::vector<std::string>> rows;
  for (const auto& member : members.members()) {
    bool known = member.user_id() == names.me || names.names.contains(member.user_id());
    std::string muted;
    if (member.has_mute_end_time() && Seconds(member.mute_end_time()) > now_unix_seconds) {
      muted = FormatTime(Seconds(member.mute_end_time()), now_unix_seconds);
    }
    rows.push_back({std::to_string(member.user_id()), known ? names.NameOf(member.user_id()) : "",
                    member.nickname(), RoleName(member.role()),
                    FormatTime(Seconds(member.join_time()), now_unix_seconds), muted});
  }
  text += RenderTable({"USER", "NAME", "NICKNAME", "ROLE", "JOINED", "MUTED UNTIL"}, rows);
  if (!members.next_page_token().empty()) {
    text += "(the first " + std::to_string(members.members_size()) + " of " +
            std::to_string(group.member_count()) + " members; all of them: plaza group info " +
            std::to_string(group.group_id()) + " --all)\n";
  }
  return text;
}

std::string RenderJoin(const groups::v1::JoinByInviteResponse& response) {
  std::string group = std::to_string(response.group_id());
  switch (response.outcome()) {
    case groups::v1::JOIN_OUTCOME_JOINED:
      return "You joined group " + group + ". Chat: plaza chat --group " + group + "\n";
    case groups::v1::JOIN_OUTCOME_PENDING_APPROVAL:
      return "Your request " + std::to_string(response.request_id()) + " to join group " + group +
             " waits for an owner's or admin's approval.\n";
    case groups::v1::JOIN_OUTCOME_ALREADY_MEMBER:
      return "You already are a member of group " + group + ".\n";
    default:
      return "The server did not say whether you joined group " + group + ".\n";
  }
}

}  // namespace plaza::cli
