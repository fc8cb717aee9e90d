#pragma once

// Identity announces when two users' relation narrows (a friend removed, a user blocked) on one
// Redis channel, so services that remember "these two may message each other" forget it at once.
// Announcements are lost while Redis or a listener is down; listeners therefore trust what they
// remember only while subscribed, and only for a short time (see messaging's Relations).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "plaza/redis/redis.h"

namespace plaza::events {

inline constexpr std::string_view kRelationChangesChannel = "plaza:relations";

// The pair, lower id first, as "<low> <high>".
std::string EncodeRelationChange(int64_t user_id, int64_t other_user_id);
std::optional<std::pair<int64_t, int64_t>> DecodeRelationChange(std::string_view payload);

// PUBLISHes the change; UNAVAILABLE if Redis cannot take it.
absl::Status AnnounceRelationChange(redis::Pool& redis, int64_t user_id, int64_t other_user_id);

}  // namespace plaza::events
