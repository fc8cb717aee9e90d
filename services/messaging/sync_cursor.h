#pragma once

// Sync cursors. A cursor names PostgreSQL snapshots (pg_snapshot text, "xmin:xmax:xip,..."):
// every row a device may need records the transaction that last wrote it, and a sync pass
// returns the rows whose writer is visible in `until` but was not in `since` — exactly what
// committed in between, even when transactions commit out of the order they started in (which
// a counter or timestamp would get wrong). A pass pages through the changed conversations in
// id order; its last page hands out a cursor whose `since` is the pass's `until`.
//
// The text is opaque to clients (base64url); a forged cursor can only ask for the caller's own
// data, so decoding only checks that it is well formed.

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace plaza::messaging {

struct SyncCursor {
  // The snapshot the previous pass read up to; empty for a device that never synced.
  std::string since;
  // The snapshot this pass reads up to; empty when no pass is under way.
  std::string until;
  // Conversations up to this id were returned by earlier pages of this pass.
  int64_t after_conversation_id = 0;

  bool operator==(const SyncCursor&) const = default;
};

// At most this long, in either form: a snapshot lists the transactions in flight when it was
// taken, bounded by PostgreSQL's connection limit.
inline constexpr size_t kMaxSyncCursorBytes = 16 * 1024;

std::string EncodeSyncCursor(const SyncCursor& cursor);

// "" decodes to the empty cursor. INVALID_ARGUMENT (CURSOR_INVALID) for anything that
// EncodeSyncCursor did not make.
absl::StatusOr<SyncCursor> DecodeSyncCursor(std::string_view text);

// True for pg_snapshot text: xmin:xmax:xip-list, xmin <= xmax, each xip in [xmin, xmax) and
// ascending.
bool IsSnapshotText(std::string_view text);

}  // namespace plaza::messaging
