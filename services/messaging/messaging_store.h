#pragma once

// Every SQL statement of messaging (schema `messaging`, see migrations/). Returns the caller's
// view as protos; refusals are statuses with reasons, decided inside the transaction that acts
// on them so that nothing is stored when one is returned.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "plaza/core/clock.h"
#include "plaza/core/ids.h"
#include "plaza/messaging/v1/messages.pb.h"
#include "plaza/messaging/v1/messaging_service.pb.h"
#include "plaza/pg/pool.h"
#include "services/messaging/sync_cursor.h"

namespace plaza::messaging {

// A message to store. `sender_id` 0 is the system.
struct NewMessage {
  int64_t conversation_id = 0;
  int64_t sender_id = 0;
  std::string client_message_id;
  v1::MessageContent content;
  bool forwarded = false;
};

struct SendResult {
  v1::Message message;
  bool duplicate = false;  // an earlier send with the same client id
  v1::ConversationKind kind = v1::CONVERSATION_KIND_UNSPECIFIED;
  std::vector<int64_t> member_ids;  // who can read it now (for pushes)
};

struct ConversationPage {
  std::vector<v1::Conversation> conversations;
  std::string next_page_token;
  int64_t total_unread = 0;
};

struct SyncPage {
  std::vector<v1::ConversationChanges> changes;
  SyncCursor next;
  bool has_more = false;
  int64_t total_unread = 0;
};

// A message changed in place (recall, edit), with who can see it.
struct ChangedMessage {
  v1::Message message;
  std::vector<int64_t> member_ids;
};

// A conversation's state after a change by `user_id`, and other users whose view changed too
// (the peer, when read receipts are shared).
struct ViewChange {
  v1::Conversation conversation;
  int64_t total_unread = 0;
  std::optional<v1::Conversation> peer_view;  // for conversation.peer_user_id
  int64_t peer_total_unread = 0;
};

struct MembershipChange {
  int64_t seq = 0;                    // the notice's, or the newest message's
  std::optional<v1::Message> notice;  // posted with the change
  std::vector<int64_t> member_ids;    // members after the change
  std::vector<int64_t> changed_ids;   // the users added or removed
};

class MessagingStore {
 public:
  MessagingStore(pg::Pool& pool, core::IdGenerator& ids, const core::Clock& clock);

  // The direct conversation of the two users, created (with both members) if new.
  absl::StatusOr<v1::Conversation> OpenDirect(int64_t user_id, int64_t peer_user_id);

  // NOT_FOUND CONVERSATION_NOT_FOUND unless `user_id` is or was a member.
  absl::StatusOr<v1::Conversation> GetConversation(int64_t user_id, int64_t conversation_id);
  absl::StatusOr<ConversationPage> ListConversations(int64_t user_id, int32_t page_size,
                                                     const std::string& page_token,
                                                     bool include_hidden);

  // The kind of conversation and, for direct ones, the peer, if `user_id` may write to it now.
  struct WriteAccess {
    v1::ConversationKind kind = v1::CONVERSATION_KIND_UNSPECIFIED;
    int64_t peer_user_id = 0;
  };
  absl::StatusOr<WriteAccess> CheckWriteAccess(int64_t user_id, int64_t conversation_id);

  // Stores the messages in order, in one transaction: each with the next sequence, or the
  // earlier result of the same (sender, client id). The sender must be a current member
  // (NOT_FOUND CONVERSATION_NOT_FOUND / PERMISSION_DENIED NOT_A_MEMBER), the conversation open
  // (FAILED_PRECONDITION CONVERSATION_CLOSED), a reply must quote a message the sender can see
  // (INVALID_ARGUMENT REPLY_INVALID).
  absl::StatusOr<std::vector<SendResult>> Send(const std::vector<NewMessage>& messages);

  absl::StatusOr<std::vector<v1::Message>> History(int64_t user_id, int64_t conversation_id,
                                                   int64_t before_seq, int32_t page_size,
                                                   bool& has_more);

  // The messages `user_id` can see, by sequence (forwarding): NOT_FOUND MESSAGE_NOT_FOUND if any
  // is not visible to them.
  absl::StatusOr<std::vector<v1::Message>> VisibleMessages(int64_t user_id, int64_t conversation_id,
                                                           const std::vector<int64_t>& seqs);

  absl::StatusOr<SyncPage> Sync(int64_t user_id, const SyncCursor& cursor, int32_t page_size);

  absl::StatusOr<ViewChange> MarkRead(int64_t user_id, int64_t conversation_id, int64_t read_seq);

  // "Read by N of M" for messages `user_id` sent to a group, in the order of `seqs`:
  // NOT_FOUND CONVERSATION_NOT_FOUND / MESSAGE_NOT_FOUND (not visible to them),
  // FAILED_PRECONDITION NOT_A_GROUP, PERMISSION_DENIED NOT_SENDER.
  absl::StatusOr<std::vector<v1::ReadCount>> ReadCounts(int64_t user_id, int64_t conversation_id,
                                                        const std::vector<int64_t>& seqs);

  // Recall/edit by the sender within the window: PERMISSION_DENIED NOT_SENDER, FAILED_PRECONDITION
  // RECALL_WINDOW_PASSED / EDIT_WINDOW_PASSED / MESSAGE_RECALLED / NOT_TEXT.
  absl::StatusOr<ChangedMessage> Recall(int64_t user_id, int64_t conversation_id, int64_t seq);
  absl::StatusOr<ChangedMessage> Edit(int64_t user_id, int64_t conversation_id, int64_t seq,
                                      const v1::TextBody& text);
  absl::StatusOr<std::vector<v1::MessageRevision>> EditHistory(int64_t user_id,
                                                               int64_t conversation_id,
                                                               int64_t seq);

  absl::StatusOr<ViewChange> DeleteForUser(int64_t user_id, int64_t conversation_id,
                                           const std::vector<int64_t>& seqs);
  absl::StatusOr<ViewChange> UpdateSettings(int64_t user_id, int64_t conversation_id,
                                            std::optional<bool> muted, std::optional<bool> pinned,
                                            std::optional<bool> hidden);
  absl::StatusOr<ViewChange> ClearHistory(int64_t user_id, int64_t conversation_id);

  // Members who can read the conversation now; NOT_FOUND / PERMISSION_DENIED as for Send.
  absl::StatusOr<std::vector<int64_t>> MembersForWriter(int64_t user_id, int64_t conversation_id);

  absl::StatusOr<std::vector<v1::Message>> Search(int64_t user_id, const std::string& tsquery,
                                                  int64_t conversation_id, int32_t offset,
                                                  int32_t limit);

  absl::StatusOr<v1::MessagingSettings> GetSettings(int64_t user_id);
  absl::Status PutSettings(int64_t user_id, const v1::MessagingSettings& settings);

  // InternalService: conversations owned by other services.
  absl::Status CreateConversation(int64_t conversation_id, v1::ConversationKind kind,
                                  const std::vector<int64_t>& member_ids,
                                  const std::optional<v1::SystemNotice>& notice,
                                  std::optional<v1::Message>& posted);
  absl::StatusOr<MembershipChange> AddMembers(int64_t conversation_id,
                                              const std::vector<int64_t>& user_ids,
                                              const std::optional<v1::SystemNotice>& notice);
  absl::StatusOr<MembershipChange> RemoveMembers(int64_t conversation_id,
                                                 const std::vector<int64_t>& user_ids,
                                                 const std::optional<v1::SystemNotice>& notice);
  absl::StatusOr<MembershipChange> Close(int64_t conversation_id,
                                         const std::optional<v1::SystemNotice>& notice);

 private:
  pg::Pool& pool_;
  core::IdGenerator& ids_;
  const core::Clock& clock_;
};

}  // namespace plaza::messaging
