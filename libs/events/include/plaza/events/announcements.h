#pragma once

// Announcements: a service says on a Redis channel that something other services may remember
// has changed, so they forget it at once. Identity announces when two users' relation narrows
// (a friend removed, a user blocked); groups announces every change of a group (members, roles,
// mutes, dissolution). Announcements are lost while Redis or a listener is down; listeners
// therefore trust what they remember only while subscribed, and only for a short time (see
// messaging's RememberedAnswers).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "plaza/redis/redis.h"

namespace plaza::events {

inline constexpr std::string_view kRelationChangesChannel = "plaza:relations";
inline constexpr std::string_view kGroupChangesChannel = "plaza:groups";

// The pair, lower id first, as "<low> <high>".
std::string EncodeRelationChange(int64_t user_id, int64_t other_user_id);
std::optional<std::pair<int64_t, int64_t>> DecodeRelationChange(std::string_view payload);

// The group id in decimal.
std::string EncodeGroupChange(int64_t group_id);
std::optional<int64_t> DecodeGroupChange(std::string_view payload);

// PUBLISHes `payload` on `channel`; UNAVAILABLE if Redis cannot take it.
absl::Status Announce(redis::Pool& redis, std::string_view channel, std::string_view payload);

}  // namespace plaza::events
