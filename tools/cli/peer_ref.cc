#include "tools/cli/peer_ref.h"

#include <algorithm>

#include "tools/cli/args.h"

namespace plaza::cli {
namespace {

constexpr std::string_view kConversationPrefix = "c:";

bool AllDigits(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

absl::StatusOr<PeerRef> ParsePeerRef(std::string_view text, bool allow_conversation) {
  if (text.empty()) return UsageError("name a user: a user id, Plaza ID or phone number");
  if (text.starts_with(kConversationPrefix)) {
    if (!allow_conversation) return UsageError("name a user here, not a conversation");
    std::string_view id = text.substr(kConversationPrefix.size());
    if (!AllDigits(id))
      return UsageError("a conversation is c:<number>, not '" + std::string(text) + "'");
    auto parsed = ParseInteger("conversation id", id);
    if (!parsed.ok()) return parsed.status();
    return PeerRef{.kind = PeerRef::Kind::kConversationId, .id = *parsed};
  }
  if (AllDigits(text)) {
    auto parsed = ParseInteger("user id", text);
    if (!parsed.ok()) return parsed.status();
    return PeerRef{.kind = PeerRef::Kind::kUserId, .id = *parsed};
  }
  return PeerRef{.kind = PeerRef::Kind::kSearch, .query = std::string(text)};
}

std::string ConversationRef(int64_t conversation_id) {
  return std::string(kConversationPrefix) + std::to_string(conversation_id);
}

}  // namespace plaza::cli
