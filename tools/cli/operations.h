#pragma once

// Sequences of calls that several commands share.

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tools/cli/format.h"
#include "tools/cli/peer_ref.h"
#include "tools/cli/reconnect.h"
#include "tools/cli/session.h"

namespace plaza::cli {

// Every friend: ListFriends' pages in one response.
absl::StatusOr<identity::v1::ListFriendsResponse> ListAllFriends(Session& session);

// Names for human output: every friend (remark, else display name) and me; with a group, also
// its members' group nicknames as GroupNames (format.h) ranks them.
absl::StatusOr<NameBook> LoadNameBook(Session& session, const groups::v1::Group* group = nullptr);

// Names that grow as people appear: a NameBook (LoadNameBook's), and for anyone not in it the
// name identity gives (GetProfile: my remark if a friend, else the display name), asked once per
// person. With `look_up` false (JSON output, which names nobody) it never calls. Thread-safe: a
// chat learns senders on its stream thread while it sends on another.
class UserNames {
 public:
  UserNames(Session& session, NameBook book, bool look_up)
      : session_(session), look_up_(look_up), book_(std::move(book)) {}

  // Makes sure `user_id` has a name, asking identity the first time it has none. A refusal
  // (e.g. NOT_FOUND: they blocked me) leaves "user <id>" for good; a failure that may pass
  // (UNAVAILABLE, DEADLINE_EXCEEDED) is asked again next time.
  void Learn(int64_t user_id);
  // The senders of `messages`.
  template <typename Messages>
  void LearnSenders(const Messages& messages) {
    for (const auto& message : messages) Learn(message.sender_id());
  }

  // Runs `use` with the names as they are; no Learn changes them meanwhile.
  template <typename Use>
  auto With(Use use) const {
    std::lock_guard lock(mutex_);
    return use(book_);
  }
  std::string NameOf(int64_t user_id) const {
    return With([&](const NameBook& book) { return book.NameOf(user_id); });
  }

 private:
  Session& session_;
  const bool look_up_;
  mutable std::mutex mutex_;
  NameBook book_;
  std::set<int64_t> settled_;  // asked and answered for good, with a name or without
};

// The user `peer` names: a user id as given, or whom SearchUser finds.
absl::StatusOr<int64_t> ResolveUser(Session& session, const PeerRef& peer);

// The users `peers` name (ResolveUser, each retried through brief outages), in order, each once.
absl::StatusOr<std::vector<int64_t>> ResolveUsers(Session& session,
                                                  const std::vector<PeerRef>& peers);

// A group as the caller sees it (GetGroup).
absl::StatusOr<groups::v1::Group> GetGroup(Session& session, int64_t group_id);

// The group behind a group conversation; nullopt for any other conversation.
absl::StatusOr<std::optional<groups::v1::Group>> GroupOf(
    Session& session, const messaging::v1::Conversation& conversation);

// A group's first `page_size` members, or with `all` every member (the pages in one response,
// with no next_page_token).
absl::StatusOr<groups::v1::ListMembersResponse> ListMembers(Session& session, int64_t group_id,
                                                            int32_t page_size, bool all);

// How many members read each of the caller's messages `seqs` in a group conversation, in the
// order given; asked at most GetReadCounts' limit (100) at a time.
absl::StatusOr<messaging::v1::GetReadCountsResponse> GetReadCounts(
    Session& session, int64_t conversation_id, const std::vector<int64_t>& seqs);

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
