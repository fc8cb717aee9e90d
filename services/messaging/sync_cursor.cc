#include "services/messaging/sync_cursor.h"

#include <charconv>
#include <vector>

#include "absl/strings/escaping.h"
#include "plaza/core/status.h"

namespace plaza::messaging {
namespace {

constexpr std::string_view kVersion = "s1";

bool ParseUnsigned(std::string_view text, uint64_t& value) {
  if (text.empty() || text.size() > 20) return false;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc() && end == text.data() + text.size();
}

absl::Status Invalid() {
  return InvalidArgument("CURSOR_INVALID", "cursor is not one Sync returned; sync from \"\" again");
}

}  // namespace

bool IsSnapshotText(std::string_view text) {
  size_t first = text.find(':');
  if (first == std::string_view::npos) return false;
  size_t second = text.find(':', first + 1);
  if (second == std::string_view::npos) return false;
  uint64_t xmin = 0;
  uint64_t xmax = 0;
  if (!ParseUnsigned(text.substr(0, first), xmin) ||
      !ParseUnsigned(text.substr(first + 1, second - first - 1), xmax) || xmin == 0 ||
      xmin > xmax) {
    return false;
  }
  std::string_view list = text.substr(second + 1);
  if (list.empty()) return true;
  uint64_t previous = 0;
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = list.find(',', start);
    if (comma == std::string_view::npos) comma = list.size();
    uint64_t xip = 0;
    if (!ParseUnsigned(list.substr(start, comma - start), xip) || xip < xmin || xip >= xmax ||
        xip <= previous) {
      return false;
    }
    previous = xip;
    start = comma + 1;
  }
  return true;
}

std::string EncodeSyncCursor(const SyncCursor& cursor) {
  if (cursor == SyncCursor{}) return "";
  std::string plain = std::string(kVersion) + "|" + cursor.since + "|" + cursor.until + "|" +
                      std::to_string(cursor.after_conversation_id);
  return absl::WebSafeBase64Escape(plain);
}

absl::StatusOr<SyncCursor> DecodeSyncCursor(std::string_view text) {
  if (text.empty()) return SyncCursor{};
  if (text.size() > kMaxSyncCursorBytes) return Invalid();
  std::string plain;
  if (!absl::WebSafeBase64Unescape(absl::string_view(text.data(), text.size()), &plain)) {
    return Invalid();
  }
  // Split keeping empty fields: "s1|since|until|after".
  std::vector<std::string_view> fields;
  std::string_view rest = plain;
  for (size_t bar; (bar = rest.find('|')) != std::string_view::npos; rest = rest.substr(bar + 1)) {
    fields.push_back(rest.substr(0, bar));
  }
  fields.push_back(rest);
  if (fields.size() != 4 || fields[0] != kVersion) return Invalid();
  SyncCursor cursor{.since = std::string(fields[1]), .until = std::string(fields[2])};
  uint64_t after = 0;
  if (!ParseUnsigned(fields[3], after) || after > static_cast<uint64_t>(INT64_MAX))
    return Invalid();
  cursor.after_conversation_id = static_cast<int64_t>(after);
  bool since_ok = cursor.since.empty() || IsSnapshotText(cursor.since);
  bool until_ok = cursor.until.empty() ? after == 0 : IsSnapshotText(cursor.until);
  if (!since_ok || !until_ok || (cursor.since.empty() && cursor.until.empty())) return Invalid();
  return cursor;
}

}  // namespace plaza::messaging
