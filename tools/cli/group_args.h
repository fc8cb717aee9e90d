#pragma once

// The arguments of the group commands (`plaza group ...`, `plaza chat --group`, `plaza
// read-counts`) as values, checked before anything is sent: a wrong command line is a usage error
// and no call is made. Pure, so the rules are unit tested.
//
// A group is named by its id, as `plaza group list` prints it; the `c:<id>` of its conversation
// names it too (a group's id is its conversation's id). People are named as everywhere else
// (peer_ref.h): a user id, a Plaza ID or a phone number.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "tools/cli/args.h"
#include "tools/cli/peer_ref.h"

namespace plaza::cli {

// "123" or "c:123".
absl::StatusOr<int64_t> ParseGroupId(std::string_view text);

// A span of time as one or more <number><unit> (units s, m, h, d), e.g. "90s", "10m", "2h", "1d",
// "1h30m": its seconds. A bare number is refused (minutes or seconds?); `what` names the value in
// the message, e.g. "the mute" or "--ttl".
absl::StatusOr<int64_t> ParseDuration(std::string_view what, std::string_view text);

// The shortest way to write `seconds` in ParseDuration's form, e.g. "1h30m", "7d", "0s".
std::string FormatDuration(int64_t seconds);

// "on" or "off".
absl::StatusOr<bool> ParseOnOff(std::string_view what, std::string_view text);

// Users named on the command line, from `args[first]` on (user ids, Plaza IDs, phone numbers;
// never conversations). `what` is "friend" or "member", for the message when none is given.
absl::StatusOr<std::vector<PeerRef>> ParseUserList(std::string_view what,
                                                   const std::vector<std::string>& args,
                                                   size_t first);

// CreateGroup's client_request_id: 1..64 of [A-Za-z0-9._:-].
bool ValidClientRequestId(std::string_view id);

// plaza group create <name> <friend>... [--request-id ID]
struct GroupCreateArgs {
  std::string name;  // may be empty: an unnamed group
  std::vector<PeerRef> friends;
  std::string client_request_id;
};
// `new_request_id` is used unless --request-id gives one (which must be valid).
absl::StatusOr<GroupCreateArgs> ParseGroupCreate(const Invocation& invocation,
                                                 std::string new_request_id);

// plaza group invite <group_id> <friend>...  |  plaza group invite <group_id> --link [--ttl T]
struct GroupInviteArgs {
  int64_t group_id = 0;
  bool link = false;
  int64_t ttl_seconds = 0;  // with link; 0 leaves it to the server (7 days)
  std::vector<PeerRef> friends;
};
absl::StatusOr<GroupInviteArgs> ParseGroupInvite(const Invocation& invocation);

// plaza group mute <group_id> <member> <duration|off>  |  plaza group mute <group_id> --all on|off
struct GroupMuteArgs {
  int64_t group_id = 0;
  std::optional<bool> mute_all;  // set for --all
  PeerRef member;                // without --all
  int64_t duration_seconds = 0;  // without --all; 0 for "off"
};
absl::StatusOr<GroupMuteArgs> ParseGroupMute(const Invocation& invocation);

// plaza group admin <group_id> <member> on|off
struct GroupAdminArgs {
  int64_t group_id = 0;
  PeerRef member;
  bool admin = false;
};
absl::StatusOr<GroupAdminArgs> ParseGroupAdmin(const Invocation& invocation);

// plaza chat <friend|c:ID>  |  plaza chat --group <group_id>: the conversation to open, and
// whether it must be a group.
struct ChatTarget {
  PeerRef peer;
  bool group = false;
};
absl::StatusOr<ChatTarget> ParseChatTarget(const Invocation& invocation);

// plaza read-counts <group_id|c:ID> <seq>...
struct ReadCountsArgs {
  int64_t conversation_id = 0;
  std::vector<int64_t> seqs;  // as given, each positive, no repeats
};
absl::StatusOr<ReadCountsArgs> ParseReadCounts(const Invocation& invocation);

}  // namespace plaza::cli
