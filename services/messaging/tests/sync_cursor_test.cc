#include "services/messaging/sync_cursor.h"

#include <catch2/catch.hpp>

#include "absl/strings/escaping.h"
#include "plaza/core/status.h"

using plaza::messaging::DecodeSyncCursor;
using plaza::messaging::EncodeSyncCursor;
using plaza::messaging::IsSnapshotText;
using plaza::messaging::SyncCursor;

TEST_CASE("snapshot text is xmin:xmax:ascending in-flight ids between them") {
  CHECK(IsSnapshotText("10:10:"));
  CHECK(IsSnapshotText("10:20:10,15,19"));
  CHECK(IsSnapshotText("18446744073709551614:18446744073709551615:"));
  CHECK_FALSE(IsSnapshotText(""));
  CHECK_FALSE(IsSnapshotText("10:20"));
  CHECK_FALSE(IsSnapshotText("0:5:"));         // xids start above 0
  CHECK_FALSE(IsSnapshotText("20:10:"));       // xmin after xmax
  CHECK_FALSE(IsSnapshotText("10:20:9"));      // in flight before xmin
  CHECK_FALSE(IsSnapshotText("10:20:20"));     // in flight at xmax
  CHECK_FALSE(IsSnapshotText("10:20:15,12"));  // not ascending
  CHECK_FALSE(IsSnapshotText("10:20:15,15"));
  CHECK_FALSE(IsSnapshotText("10:20:15,"));
  CHECK_FALSE(IsSnapshotText("10:20:x"));
  CHECK_FALSE(IsSnapshotText("10:20:15'; DROP"));
  CHECK_FALSE(IsSnapshotText("-1:20:"));
  CHECK_FALSE(IsSnapshotText("99999999999999999999999:1:"));
}

TEST_CASE("cursors round-trip and the empty cursor is the empty string") {
  CHECK(EncodeSyncCursor({}).empty());
  CHECK(*DecodeSyncCursor("") == SyncCursor{});
  for (const SyncCursor& cursor :
       {SyncCursor{.since = "5:9:6"},
        SyncCursor{.since = "5:9:6", .until = "7:12:", .after_conversation_id = 42},
        SyncCursor{.until = "7:12:8,9", .after_conversation_id = 1}}) {
    std::string text = EncodeSyncCursor(cursor);
    CHECK(text.find_first_not_of(
              "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
          std::string::npos);
    auto decoded = DecodeSyncCursor(text);
    REQUIRE(decoded.ok());
    CHECK(*decoded == cursor);
  }
}

TEST_CASE("anything Sync did not make is CURSOR_INVALID") {
  auto encode = [](const std::string& plain) {
    std::string out;
    absl::WebSafeBase64Escape(plain, &out);
    return out;
  };
  for (const std::string& text :
       {std::string("not base64!"), encode("s1|5:9:|"), encode("s2|5:9:||0"), encode("s1|5:9:|x|0"),
        encode("s1|||0"), encode("s1|5:9:||7"), encode("s1|5:9:|7:12:|-1"),
        encode("s1|5:9:|7:12:|99999999999999999999"), encode("s1|5:9:|7:12:|1|extra"),
        std::string(plaza::messaging::kMaxSyncCursorBytes + 1, 'A')}) {
    auto decoded = DecodeSyncCursor(text);
    CHECK(decoded.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK(plaza::ReasonOf(decoded.status()) == "CURSOR_INVALID");
  }
}
