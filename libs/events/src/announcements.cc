#include "plaza/events/announcements.h"

#include <algorithm>
#include <charconv>

namespace plaza::events {
namespace {

bool ParsePositiveId(std::string_view text, int64_t& value) {
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc() && end == text.data() + text.size() && value > 0;
}

}  // namespace

std::string EncodeRelationChange(int64_t user_id, int64_t other_user_id) {
  return std::to_string(std::min(user_id, other_user_id)) + " " +
         std::to_string(std::max(user_id, other_user_id));
}

std::optional<std::pair<int64_t, int64_t>> DecodeRelationChange(std::string_view payload) {
  size_t space = payload.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  int64_t low = 0;
  int64_t high = 0;
  if (!ParsePositiveId(payload.substr(0, space), low) ||
      !ParsePositiveId(payload.substr(space + 1), high) || low >= high) {
    return std::nullopt;
  }
  return std::pair{low, high};
}

std::string EncodeGroupChange(int64_t group_id) { return std::to_string(group_id); }

std::optional<int64_t> DecodeGroupChange(std::string_view payload) {
  int64_t group_id = 0;
  if (!ParsePositiveId(payload, group_id)) return std::nullopt;
  return group_id;
}

absl::Status Announce(redis::Pool& redis, std::string_view channel, std::string_view payload) {
  return redis.Command({"PUBLISH", channel, payload}).status();
}

}  // namespace plaza::events
