#include "plaza/events/relation_changes.h"

#include <algorithm>
#include <charconv>

namespace plaza::events {

std::string EncodeRelationChange(int64_t user_id, int64_t other_user_id) {
  return std::to_string(std::min(user_id, other_user_id)) + " " +
         std::to_string(std::max(user_id, other_user_id));
}

std::optional<std::pair<int64_t, int64_t>> DecodeRelationChange(std::string_view payload) {
  size_t space = payload.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  int64_t low = 0;
  int64_t high = 0;
  auto parse = [](std::string_view text, int64_t& value) {
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    return error == std::errc() && end == text.data() + text.size() && value > 0;
  };
  if (!parse(payload.substr(0, space), low) || !parse(payload.substr(space + 1), high) ||
      low >= high) {
    return std::nullopt;
  }
  return std::pair{low, high};
}

absl::Status AnnounceRelationChange(redis::Pool& redis, int64_t user_id, int64_t other_user_id) {
  return redis
      .Command({"PUBLISH", kRelationChangesChannel, EncodeRelationChange(user_id, other_user_id)})
      .status();
}

}  // namespace plaza::events
