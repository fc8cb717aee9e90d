#pragma once

// Sequences of calls that several commands share.

#include <cstdint>
#include <functional>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tools/cli/format.h"
#include "tools/cli/peer_ref.h"
#include "tools/cli/reconnect.h"
#include "tools/cli/session.h"

namespace plaza::cli {

// Names for human output: every friend (remark, else display name) and me.
absl::StatusOr<NameBook> LoadNameBook(Session& session);

// The user `peer` names: a user id as given, or whom SearchUser finds.
absl::StatusOr<int64_t> ResolveUser(Session& session, const PeerRef& peer);

// The conversation `peer` names: GetConversation for "c:<id>", else the direct conversation with
// the user (OpenDirectConversation, which makes it on first use).
absl::StatusOr<messaging::v1::Conversation> ResolveConversation(Session& session,
                                                                const PeerRef& peer);

// Runs `call` (returning an absl::StatusOr) again with backoff while it fails with a failure that
// may not have reached the server (UNAVAILABLE, DEADLINE_EXCEEDED), at most kTransientAttempts
// times in all. Only for calls that are safe to repeat.
inline constexpr int kTransientAttempts = 5;
template <typename Call>
auto RetryTransient(Call call) -> decltype(call()) {
  Backoff backoff(std::chrono::milliseconds(500), std::chrono::seconds(4));
  for (int attempt = 1;; ++attempt) {
    auto result = call();
    if (result.ok() || !IsTransient(result.status()) || attempt == kTransientAttempts) {
      return result;
    }
    std::this_thread::sleep_for(backoff.Next(RandomFraction()));
  }
}

// Sends a text, retrying transient failures (RetryTransient) under the same client message id,
// so the message is stored once.
absl::StatusOr<messaging::v1::SendMessageResponse> SendText(Session& session,
                                                            int64_t conversation_id,
                                                            const std::string& text);

// Calls Sync from the saved cursor until has_more is false, handing each page to `on_page` and
// stopping at its first error. The cursor is not saved here: a caller saves it (SaveSyncCursor)
// once it has shown what came before it, so nothing is skipped if it stops halfway.
absl::Status SyncPages(
    Session& session,
    const std::function<absl::Status(const messaging::v1::SyncResponse&)>& on_page);

// Remembers `cursor` for the next Sync of this config's account.
absl::Status SaveSyncCursor(Session& session, const std::string& cursor);

}  // namespace plaza::cli
