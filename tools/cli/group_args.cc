#include "tools/cli/group_args.h"

#include <algorithm>
#include <array>
#include <utility>

#include "plaza/core/status.h"

namespace plaza::cli {
namespace {

constexpr std::string_view kGroupConversationPrefix = "c:";

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

struct Unit {
  char letter;
  int64_t seconds;
};
constexpr std::array<Unit, 4> kUnits = {{{'d', 86400}, {'h', 3600}, {'m', 60}, {'s', 1}}};

// More digits than this in one part of a duration is a typo, not a plan.
constexpr size_t kMaxDurationDigits = 9;

}  // namespace

absl::StatusOr<int64_t> ParseGroupId(std::string_view text) {
  std::string_view digits = text;
  if (digits.starts_with(kGroupConversationPrefix))
    digits.remove_prefix(kGroupConversationPrefix.size());
  if (digits.empty() || !std::all_of(digits.begin(), digits.end(), IsDigit)) {
    return UsageError("a group is its id (as plaza group list prints it), not '" +
                      std::string(text) + "'");
  }
  PLAZA_ASSIGN_OR_RETURN(int64_t id, ParseInteger("the group id", digits));
  if (id <= 0)
    return UsageError("a group id is a positive number, not '" + std::string(text) + "'");
  return id;
}

absl::StatusOr<int64_t> ParseDuration(std::string_view what, std::string_view text) {
  auto bad = [&] {
    return UsageError(std::string(what) + " must be a time like 90s, 10m, 2h, 1d or 1h30m, not '" +
                      std::string(text) + "'");
  };
  if (text.empty()) return bad();
  int64_t total = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t start = i;
    while (i < text.size() && IsDigit(text[i])) ++i;
    size_t digits = i - start;
    if (digits == 0 || digits > kMaxDurationDigits || i == text.size()) return bad();
    auto unit = std::find_if(kUnits.begin(), kUnits.end(),
                             [&](const Unit& each) { return each.letter == text[i]; });
    if (unit == kUnits.end()) return bad();
    PLAZA_ASSIGN_OR_RETURN(int64_t count, ParseInteger(what, text.substr(start, digits)));
    total += count * unit->seconds;
    ++i;
  }
  return total;
}

std::string FormatDuration(int64_t seconds) {
  if (seconds <= 0) return "0s";
  std::string text;
  for (const Unit& unit : kUnits) {
    if (seconds >= unit.seconds) {
      text += std::to_string(seconds / unit.seconds) + unit.letter;
      seconds %= unit.seconds;
    }
  }
  return text;
}

absl::StatusOr<bool> ParseOnOff(std::string_view what, std::string_view text) {
  if (text == "on") return true;
  if (text == "off") return false;
  return UsageError(std::string(what) + " is on or off, not '" + std::string(text) + "'");
}

absl::StatusOr<std::vector<PeerRef>> ParseUserList(std::string_view what,
                                                   const std::vector<std::string>& args,
                                                   size_t first) {
  if (first >= args.size()) {
    return UsageError("name at least one " + std::string(what) +
                      ": a user id, Plaza ID or phone number");
  }
  std::vector<PeerRef> users;
  for (size_t i = first; i < args.size(); ++i) {
    PLAZA_ASSIGN_OR_RETURN(PeerRef user, ParsePeerRef(args[i], /*allow_conversation=*/false));
    users.push_back(std::move(user));
  }
  return users;
}

bool ValidClientRequestId(std::string_view id) {
  constexpr size_t kMaxLength = 64;
  return !id.empty() && id.size() <= kMaxLength && std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || IsDigit(c) || c == '.' || c == '_' ||
           c == ':' || c == '-';
  });
}

absl::StatusOr<GroupCreateArgs> ParseGroupCreate(const Invocation& invocation,
                                                 std::string new_request_id) {
  GroupCreateArgs parsed;
  if (invocation.args.empty()) return UsageError("usage: plaza group create <name> <friend>...");
  parsed.name = invocation.args[0];
  PLAZA_ASSIGN_OR_RETURN(parsed.friends, ParseUserList("friend", invocation.args, 1));
  parsed.client_request_id = invocation.Flag("request-id").value_or(std::move(new_request_id));
  if (!ValidClientRequestId(parsed.client_request_id)) {
    return UsageError("--request-id is 1 to 64 of A-Z a-z 0-9 . _ : -, not '" +
                      parsed.client_request_id + "'");
  }
  return parsed;
}

absl::StatusOr<GroupInviteArgs> ParseGroupInvite(const Invocation& invocation) {
  const auto& args = invocation.args;
  if (args.empty()) {
    return UsageError("usage: plaza group invite <group_id> (<friend>... | --link [--ttl T])");
  }
  GroupInviteArgs parsed;
  PLAZA_ASSIGN_OR_RETURN(parsed.group_id, ParseGroupId(args[0]));
  parsed.link = invocation.Has("link");
  auto ttl = invocation.Flag("ttl");
  if (parsed.link) {
    if (args.size() > 1) return UsageError("invite friends or make a --link, not both");
    if (ttl) {
      PLAZA_ASSIGN_OR_RETURN(parsed.ttl_seconds, ParseDuration("--ttl", *ttl));
      if (parsed.ttl_seconds <= 0) return UsageError("--ttl must be longer than 0s");
    }
    return parsed;
  }
  if (ttl) return UsageError("--ttl is for --link");
  if (args.size() == 1) {
    return UsageError("name friends to add, or --link for an invitation anyone can use");
  }
  PLAZA_ASSIGN_OR_RETURN(parsed.friends, ParseUserList("friend", args, 1));
  return parsed;
}

absl::StatusOr<GroupMuteArgs> ParseGroupMute(const Invocation& invocation) {
  const auto& args = invocation.args;
  constexpr std::string_view kUsage =
      "usage: plaza group mute <group_id> (<member> <duration|off> | --all on|off)";
  if (args.empty()) return UsageError(kUsage);
  GroupMuteArgs parsed;
  PLAZA_ASSIGN_OR_RETURN(parsed.group_id, ParseGroupId(args[0]));
  if (auto all = invocation.Flag("all")) {
    if (args.size() != 1) return UsageError("--all mutes everyone: name no member with it");
    PLAZA_ASSIGN_OR_RETURN(parsed.mute_all, ParseOnOff("--all", *all));
    return parsed;
  }
  if (args.size() != 3) return UsageError(kUsage);
  PLAZA_ASSIGN_OR_RETURN(parsed.member, ParsePeerRef(args[1], /*allow_conversation=*/false));
  if (args[2] == "off") return parsed;
  PLAZA_ASSIGN_OR_RETURN(parsed.duration_seconds, ParseDuration("the mute", args[2]));
  if (parsed.duration_seconds <= 0) return UsageError("a mute of 0s: say off to lift one");
  return parsed;
}

absl::StatusOr<GroupAdminArgs> ParseGroupAdmin(const Invocation& invocation) {
  const auto& args = invocation.args;
  if (args.size() != 3) return UsageError("usage: plaza group admin <group_id> <member> on|off");
  GroupAdminArgs parsed;
  PLAZA_ASSIGN_OR_RETURN(parsed.group_id, ParseGroupId(args[0]));
  PLAZA_ASSIGN_OR_RETURN(parsed.member, ParsePeerRef(args[1], /*allow_conversation=*/false));
  PLAZA_ASSIGN_OR_RETURN(parsed.admin, ParseOnOff("admin", args[2]));
  return parsed;
}

absl::StatusOr<ChatTarget> ParseChatTarget(const Invocation& invocation) {
  const auto& args = invocation.args;
  if (auto group = invocation.Flag("group")) {
    if (!args.empty()) return UsageError("chat with a friend, a c:ID or a --group, not two");
    PLAZA_ASSIGN_OR_RETURN(int64_t group_id, ParseGroupId(*group));
    // The group's conversation has the group's id.
    return ChatTarget{.peer = {.kind = PeerRef::Kind::kConversationId, .id = group_id},
                      .group = true};
  }
  if (args.size() != 1) return UsageError("usage: plaza chat (<friend|c:ID> | --group <group_id>)");
  PLAZA_ASSIGN_OR_RETURN(PeerRef peer, ParsePeerRef(args[0], /*allow_conversation=*/true));
  return ChatTarget{.peer = std::move(peer), .group = false};
}

absl::StatusOr<ReadCountsArgs> ParseReadCounts(const Invocation& invocation) {
  const auto& args = invocation.args;
  if (args.size() < 2) return UsageError("usage: plaza read-counts <group_id|c:ID> <seq>...");
  ReadCountsArgs parsed;
  PLAZA_ASSIGN_OR_RETURN(parsed.conversation_id, ParseGroupId(args[0]));
  for (size_t i = 1; i < args.size(); ++i) {
    std::string_view text = args[i];
    if (text.starts_with('#')) text.remove_prefix(1);  // as history prints them
    PLAZA_ASSIGN_OR_RETURN(int64_t seq, ParseInteger("a message's seq", text));
    if (seq <= 0) return UsageError("a message's seq is positive, not '" + args[i] + "'");
    if (std::find(parsed.seqs.begin(), parsed.seqs.end(), seq) == parsed.seqs.end()) {
      parsed.seqs.push_back(seq);
    }
  }
  return parsed;
}

}  // namespace plaza::cli
