#pragma once

// Everything `plaza` prints: JSON documents for scripts, errors, and the human rendering of each
// response. Pure functions of their inputs (the clock and names are parameters), so the exact
// output is unit tested.

#include <google/protobuf/message.h>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "plaza/groups/v1/groups_service.pb.h"
#include "plaza/identity/v1/identity_service.pb.h"
#include "plaza/messaging/v1/messaging_service.pb.h"

namespace plaza::cli {

// --- JSON -------------------------------------------------------------------------------------

// `text` as a JSON string literal, quotes included.
std::string JsonQuote(std::string_view text);

// `message` as one line of protobuf JSON, with the proto's snake_case field names and zero
// values printed, so scripts find every key. 64-bit integers are JSON strings (proto3's rule).
std::string ProtoJson(const google::protobuf::Message& message);

// Builds a JSON object whose values are strings, integers, booleans or finished JSON.
class JsonObject {
 public:
  JsonObject& Add(std::string_view key, std::string_view value);
  JsonObject& AddNumber(std::string_view key, int64_t value);
  JsonObject& AddBool(std::string_view key, bool value);
  JsonObject& AddJson(std::string_view key, std::string_view json);
  std::string str() const { return "{" + members_ + "}"; }

 private:
  std::string members_;
};

// The members of two JSON objects as one object: `{"a":1}` and `{"b":2}` make `{"a":1,"b":2}`.
// Both must be objects as ProtoJson and JsonObject print them.
std::string MergeJsonObjects(std::string_view first, std::string_view second);

// --- Errors -----------------------------------------------------------------------------------

// The retry hint the gateway sent with a refusal (`x-plaza-retry-after-ms`), carried on a status.
absl::Status WithRetryAfter(absl::Status status, int64_t retry_after_ms);
// The hint, or 0.
int64_t RetryAfterMs(const absl::Status& status);

// "<message> (<CODE>, <reason>)", or "(<CODE>)" without a reason; the retry hint, if any, is
// added to the message.
std::string DescribeStatus(const absl::Status& status);
// "plaza: " and DescribeStatus: how errors end a command on stderr.
std::string ErrorLine(const absl::Status& status);
// {"error":{"code":"NOT_FOUND","reason":"USER_NOT_FOUND","message":"...","retry_after_ms":1500}}
// (reason "" when there is none; retry_after_ms only when the server sent it).
std::string ErrorJson(const absl::Status& status);

// --- Text layout ------------------------------------------------------------------------------

// Terminal columns `text` takes: East Asian wide characters and emoji count two.
size_t DisplayWidth(std::string_view text);
// `text` on one line (each run of whitespace becomes one space), cut to `max_width` columns with
// "..." if longer.
std::string OneLine(std::string_view text, size_t max_width);
// Columns aligned by display width, two spaces apart; the last column is not padded.
std::string RenderTable(const std::vector<std::string>& header,
                        const std::vector<std::vector<std::string>>& rows);

// "key:  value" lines, the values aligned.
std::string RenderFields(const std::vector<std::pair<std::string, std::string>>& fields);

// "08:07" if `unix_seconds` is on the same local day as `now_unix_seconds`, else
// "2025-11-20 08:07" (local time).
std::string FormatTime(int64_t unix_seconds, int64_t now_unix_seconds);

// --- Names ------------------------------------------------------------------------------------

// How users are called in human output: "me", a friend's remark or display name, or "user <id>".
struct NameBook {
  int64_t me = 0;
  std::map<int64_t, std::string> names;

  std::string NameOf(int64_t user_id) const;
};

// "Bob", "Bob and Lin", "Bob, Lin and Wei".
std::string JoinNames(const std::vector<std::string>& names);

// "Mei" or "Mei (@mei_88)".
std::string ProfileName(const identity::v1::Profile& profile);

// Me and my friends, each by my remark for them, else their display name.
NameBook FriendNames(int64_t me, const identity::v1::ListFriendsResponse& friends);

// Names in a group, as WeChat shows them: my remark for a friend, else the member's group
// nickname (when I show nicknames), else a friend's display name. Members who are neither friends
// nor have a nickname are not in the book (their profile tells).
NameBook GroupNames(int64_t me, const identity::v1::ListFriendsResponse& friends,
                    const groups::v1::ListMembersResponse& members, bool show_nicknames);

// --- Messages ---------------------------------------------------------------------------------

// A message body as one human line: the text, or e.g. "[image]", "[file report.pdf]".
std::string DescribeContent(const messaging::v1::MessageContent& content);
// "[08:07] Mei: hello", prefixed with "#<seq> " when `show_seq` (history, where --before takes
// sequences); recalled, edited, forwarded and replies are marked.
std::string RenderMessage(const messaging::v1::Message& message, const NameBook& names,
                          int64_t now_unix_seconds, bool show_seq);
// Who a conversation is with: the peer's name, "group <id>" or "official account <id>".
std::string ConversationTitle(const messaging::v1::Conversation& conversation,
                              const NameBook& names);

// --- Responses --------------------------------------------------------------------------------

std::string RenderMyProfile(const identity::v1::GetMyProfileResponse& response);
// `me` is the caller's user id: finding oneself is not a friend to add.
std::string RenderSearch(const identity::v1::SearchUserResponse& response, int64_t me);
std::string RenderFriends(const identity::v1::ListFriendsResponse& response);
std::string RenderFriendRequests(const identity::v1::ListFriendRequestsResponse& response,
                                 bool outgoing, int64_t now_unix_seconds);
std::string RenderConversations(const messaging::v1::ListConversationsResponse& response,
                                const NameBook& names, int64_t now_unix_seconds);
// `read_counts` (by seq), if any, are added to the lines of those messages: "(read by 2 of 5)".
std::string RenderHistory(const messaging::v1::GetHistoryResponse& response, const NameBook& names,
                          int64_t now_unix_seconds,
                          const std::map<int64_t, messaging::v1::ReadCount>& read_counts = {});
std::string RenderSync(const messaging::v1::SyncResponse& response, const NameBook& names,
                       int64_t now_unix_seconds);

// "read by 2 of 5".
std::string ReadCountText(const messaging::v1::ReadCount& count);
std::string RenderReadCounts(const messaging::v1::GetReadCountsResponse& response);

// --- Groups -----------------------------------------------------------------------------------

// "owner", "admin" or "member".
std::string RoleName(groups::v1::MemberRole role);
// The group's name, or "group <id>" while it has none.
std::string GroupTitle(const groups::v1::Group& group);
std::string RenderGroups(const groups::v1::ListMyGroupsResponse& response,
                         int64_t now_unix_seconds);
// The group's fields, then the members given (a first page, or all of them) with my names for
// them, group nicknames, roles and mutes; a note says how to see the rest when `members` has a
// next page.
std::string RenderGroupInfo(const groups::v1::Group& group,
                            const groups::v1::ListMembersResponse& members, const NameBook& names,
                            int64_t now_unix_seconds);
// What an invitation did: joined, waiting for approval, or nothing (already a member).
std::string RenderJoin(const groups::v1::JoinByInviteResponse& response);

}  // namespace plaza::cli
