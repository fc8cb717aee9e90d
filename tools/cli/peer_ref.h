#pragma once

// How a command line names the other side of a chat: "123" is a user id, "c:123" a conversation
// id (as `plaza conversations` prints them), and anything else a Plaza ID or a phone number in
// international form, looked up with SearchUser. Plaza IDs start with a letter and hold no
// ':', so the forms cannot be confused.

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace plaza::cli {

struct PeerRef {
  enum class Kind { kUserId, kConversationId, kSearch };
  Kind kind = Kind::kSearch;
  int64_t id = 0;     // for kUserId and kConversationId
  std::string query;  // for kSearch
};

// A usage error for empty text, a malformed "c:" form, or (unless `allow_conversation`) a
// conversation where only a user fits.
absl::StatusOr<PeerRef> ParsePeerRef(std::string_view text, bool allow_conversation);

// "c:<id>", the form ParsePeerRef reads back.
std::string ConversationRef(int64_t conversation_id);

}  // namespace plaza::cli
