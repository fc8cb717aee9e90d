#include "services/messaging/messaging_service.h"

#include <set>

#include "plaza/core/status.h"
#include "plaza/core/text.h"
#include "services/messaging/message_rules.h"
#include "services/messaging/search_terms.h"
#include "services/messaging/sync_cursor.h"

namespace plaza::messaging {
namespace {

constexpr int kMaxDeletePerCall = 100;
constexpr int kMaxForwardPerCall = 30;
constexpr int kMaxReadCountsPerCall = 100;
constexpr int kMaxMembersPerCall = 500;
constexpr int32_t kMaxSearchOffset = 1000;
constexpr size_t kMaxQueryChars = 100;

absl::Status ValidateConversationId(int64_t conversation_id) {
  if (conversation_id <= 0) {
    return InvalidArgument("CONVERSATION_ID_INVALID", "conversation_id must be a positive id");
  }
  return absl::OkStatus();
}

absl::Status ValidateSeq(int64_t seq) {
  if (seq <= 0) return InvalidArgument("SEQ_INVALID", "seq must be a message's sequence (>= 1)");
  return absl::OkStatus();
}

// 1..max distinct positive sequences, in request order.
absl::Status ValidateSeqs(const google::protobuf::RepeatedField<int64_t>& seqs, int max,
                          std::vector<int64_t>& out) {
  if (seqs.empty() || seqs.size() > max) {
    return InvalidArgument("SEQS_INVALID", "name 1.." + std::to_string(max) + " messages");
  }
  std::set<int64_t> seen;
  for (int64_t seq : seqs) {
    PLAZA_RETURN_IF_ERROR(ValidateSeq(seq));
    if (!seen.insert(seq).second)
      return InvalidArgument("SEQS_INVALID", "a message is named twice");
    out.push_back(seq);
  }
  return absl::OkStatus();
}

// 1..500 distinct positive user ids.
absl::Status ValidateMembers(const google::protobuf::RepeatedField<int64_t>& ids,
                             std::vector<int64_t>& out) {
  if (ids.empty() || ids.size() > kMaxMembersPerCall) {
    return InvalidArgument("MEMBERS_INVALID", "name 1..500 users");
  }
  std::set<int64_t> unique;
  for (int64_t id : ids) {
    if (id <= 0) return InvalidArgument("MEMBERS_INVALID", "user ids are positive");
    unique.insert(id);
  }
  out.assign(unique.begin(), unique.end());
  return absl::OkStatus();
}

std::optional<v1::SystemNotice> NoticeOf(bool present, const v1::SystemNotice& notice) {
  if (!present) return std::nullopt;
  return notice;
}

absl::Status ValidateNotice(const std::optional<v1::SystemNotice>& notice) {
  if (!notice) return absl::OkStatus();
  v1::MessageContent content;
  *content.mutable_system_notice() = *notice;
  return ValidateContent(content, Author::kService, true);
}

events::DeviceRef DeviceOf(const rpc::Caller& caller) {
  return events::DeviceRef{.user_id = caller.user_id, .device_id = caller.device_id};
}

}  // namespace

absl::Status MessagingService::CheckCanWrite(const rpc::Caller& caller, int64_t conversation_id,
                                             bool mentions_all, bool& group) {
  const std::pair key{caller.user_id, conversation_id};
  std::optional<WriteTarget> target;
  {
    std::lock_guard lock(targets_mutex_);
    if (auto found = write_targets_.find(key); found != write_targets_.end()) {
      target = found->second;
    }
  }
  if (!target) {
    PLAZA_ASSIGN_OR_RETURN(auto access, store_.CheckWriteAccess(caller.user_id, conversation_id));
    target = WriteTarget{.group = access.kind == v1::CONVERSATION_KIND_GROUP,
                         .peer_user_id = access.peer_user_id};
    std::lock_guard lock(targets_mutex_);
    if (write_targets_.size() >= kMaxCachedTargets) write_targets_.clear();
    write_targets_.emplace(key, *target);
  }
  group = target->group;
  if (group) return group_policies_.CheckCanSend(conversation_id, caller.user_id, mentions_all);
  return relations_.CheckCanMessage(caller.user_id, target->peer_user_id);
}

absl::StatusOr<std::vector<SendResult>> MessagingService::SendAndPush(
    const rpc::Caller& caller, const std::vector<NewMessage>& messages) {
  PLAZA_ASSIGN_OR_RETURN(auto results, store_.Send(messages));
  // A retried send is pushed again: the first push may have been lost with a crash after commit.
  for (const SendResult& result : results) {
    pushes_.MessageChanged(result.message, result.member_ids, DeviceOf(caller));
  }
  return results;
}

void MessagingService::PushView(const rpc::Caller& caller, const ViewChange& change) {
  pushes_.ConversationChanged(caller.user_id, change.conversation, change.total_unread,
                              DeviceOf(caller));
  if (change.peer_view) {
    pushes_.ConversationChanged(change.conversation.peer_user_id(), *change.peer_view,
                                change.peer_total_unread, std::nullopt);
  }
}

grpc::Status MessagingService::OpenDirectConversation(
    grpc::ServerContext* context, const v1::OpenDirectConversationRequest* request,
    v1::OpenDirectConversationResponse* response) {
  return rpc::HandleAuthenticated(context, [&](const rpc::Caller& caller) -> absl::Status {
    if (request->peer_user_id() <= 0 || request->peer_user_id() == caller.user_id) {
      return InvalidArgument("PEER_INVALID", "peer_user_id must be another user's id");
    }
    PLAZA_RETURN_IF_ERROR(relations_.CheckCanMessage(caller.user_id, request->peer_user_id()));
    PLAZA_ASSIGN_OR_RETURN(*response->mutable_conversation(),
                           store_.OpenDirect(caller.user_id, request->peer_user_id()));
    return absl::OkStatus();
  });
}

grpc::Status MessagingService::ListConversations(grpc::ServerContext* context,
                                                 const v1::ListConversationsRequest* request,
                                                 v1::ListConversationsResponse* response) {
  return rpc::HandleAuthenticated(context, [&](const rpc::Caller& caller) -> absl::Status {
    int32_t page_size = 0;
    PLAZA_RETURN_IF_ERROR(core::ResolvePageSize(request->page_size(), 50, 200, page_size));
    PLAZA_ASSIGN_OR_RETURN(
        auto page, store_.ListConversations(caller.user_id, page_size, request->page_token(),
                                            request->include_hidden()));
    for (auto& conversation : page.conversations)
      *response->add_conversations() = std::move(conversation);
    response->set_next_page_token(page.next_page_token);
    response->set_total_unread_count(page.total_unread);
    return absl::OkStatus();
  });
}

grpc::Status MessagingService::GetConversation(grpc::ServerContext* context,
                                               const v1::GetConversationRequest* request,
                                               v1::GetConversationResponse* response) {
  return rpc::HandleAuthenticated(context, [&](const rpc::Caller& caller) -> absl::Status {
    PLAZA_RETURN_IF_ERROR(ValidateConversationId(request->conversation_id()));
    PLAZA_ASSIGN_OR_RETURN(*response->mutable_conversation(),
                           store_.GetConversation(caller.user_id, request->conversation_id()));
    return absl::OkStatus();
  });
}

grpc::Status MessagingService::SendMessage(grpc::ServerContext* context,
                                           const v1::SendMessageRequest* request,
                                           v1::SendMessageResponse* response) {
  return rpc::HandleAuthenticated(context, [&](const rpc::Caller& caller) -> absl::Status {
    PLAZA_RETURN_IF_ERROR(ValidateConversationId(request->conversation_id()));
    PLAZA_RETURN_IF_ERROR(ValidateClientMessageId(request->client_message_id()));
    // @all is checked against the kind below, everything else before any I/O.
    PLAZA_RETURN_IF_ERROR(ValidateContent(request->content(), Author::kClient, true));
    bool group = false;
    PLAZA_RETURN_IF_ERROR(CheckCanWrite(caller, request->conversation_id(),
                                        request->content().mentions().all(), group));
    PLAZA_RETURN_IF_ERROR(ValidateContent(request->content(), Author::kClient, group));
    NewMessage message{.conversation_id = request->conversation_id(),
                       .sender_id = caller.user_id,
                       .client_message_id = request->client_message_id(),
                       .content = request->content()};
    PLAZA_ASSIGN_OR_RETURN(auto results, SendAndPush(caller, {message}));
    *response->mutable_message() = std::move(results[0].message);
    response->set_duplicate(results[0].duplicate);
    return absl::OkStatus();
  });
}

grpc::Status MessagingService::GetHistory(grpc::ServerContext* context,
                                          const v1::GetHistoryRequest* request,
                                          v1::GetHistoryResponse* response) {
  return rpc::HandleAuthenticated(context, [&](const rpc::Caller& caller) -> absl::Status {
    PLAZA_RETURN_IF_ERROR(ValidateConversationId(request->conversation_id()));
    if (request->before_seq() < 0) return InvalidArgument("SEQ_INVALID", "before_seq must be >= 0");
    int32_t page_size = 0;
    PLAZA_RETURN_IF_ERROR(core::ResolvePageSize(request->page_size(), 50, 200, page_size));
    bool has_more = false;
    PLAZA_ASSIGN_OR_RETURN(auto messages,
                           store_.History(caller.user_id, request->conversation_id(),
                                          request->before_seq(), page_size, has_more));
    for (auto& message : messages) *response->add_messages() = std::move(message);
    response->set_has_more(has_more);
    return absl::OkStatus();
  });
}

grpc::Status MessagingService::Sync(grpc::ServerContext* context, const v1::SyncRequest* request,
                                    v1::SyncResponse* response) {
  return rpc::HandleAuthenticated(context, [&](const rpc::Caller& caller) -> absl::Status {
    int32_t page_size = 0;
    PLAZA_RETURN_IF_ERROR(core::ResolvePageSize(request->page_size(), 50, 100, page_size));
    PLAZA_ASSIGN_OR_RETURN(SyncCursor cursor, DecodeSyncCursor(request->cursor()));
    PLAZA_ASSIGN_OR_RETURN(auto page, store_.Sync(caller.user_id, cursor, page_size));
    for (auto& changes : page.changes) *response->add_changes() = std::move(changes);
    response->set_cursor(EncodeSyncCursor(page.next));
    response->set_has_more(page.has_more);
    response->set_total_unread_count(page.total_unread);
    return absl::OkStatus();
  });
}

grpc::Status MessagingService::MarkRead(grpc::ServerContext* context,
                                        const v1::MarkReadRequest* request,
                                        v1::MarkReadResponse* response) {
  return rpc::HandleAuthenticated(context, [&](const rpc::Caller& caller) -> absl::Status {
    PLAZA_RETURN_IF_ERROR(ValidateConversationId(request->conversation_id()));
    PLAZA_RETURN_IF_ERROR(ValidateSeq(request->read_seq()));
    PLAZA_ASSIGN_OR_RETURN(auto change, store_.MarkRead(caller.user_id, request->conversation_id(),
                                                        request->read_seq()));
    PushView(caller, change);
    *response->mutable_conversation() = change.conversation;
    response->set_total_unread_count(change.total_unread);
    return absl::OkStatus();
  });
}

grpc::Status MessagingService::GetReadCounts(grpc::ServerContext* context,
                                             const v1::GetReadCountsRequest* request,
                                             v1::GetReadCountsResponse* response) {
  return rpc::HandleAuthenticated(context, [&](const rpc::Caller& caller) -> absl::Status {
    PLAZA_RETURN_IF_ERROR(ValidateConversationId(request->conversation_id()));
    std::vector<int64_t> seqs;
    PLAZA_RETURN_IF_ERROR(ValidateSeqs(request->seqs(), kMaxReadCountsPerCall, seqs));
    PLAZA_ASSIGN_OR_RETURN(auto counts,
                           store_.ReadCounts(caller.user_id, request->conversation_id(), seqs));
    for (auto& count : counts) *response->add_read_counts() = std::move(count);
    return absl::OkStatus();
  });
}

grpc::Status MessagingService::RecallMessage(grpc::ServerContext* context,
                                             const v1::RecallMessageRequest* request,
                                             v1::RecallMessageResponse* response) {
  return rpc::HandleAuthenticated(context, [&](const rpc::Caller& caller) -> absl::Status {
    PLAZA_RETURN_IF_ERROR(ValidateConversationId(request->conversation_id()));
    PLAZA_RETURN_IF_ERROR(ValidateSeq(request->seq()));
    PLAZA_ASSIGN_OR_RETURN(
        auto changed, store_.Recall(caller.user_id, request->conversation_id(), request->seq()));
    pushes_.MessageChanged(changed.message, changed.member_ids, DeviceOf(caller));
    *response->mutable_message() = std::move(changed.message);
    return absl::OkStatus();
  });
}

grpc::Status MessagingService::EditMessage(grpc::ServerContext* context,
                                           const v1::EditMessageRequest* request,
                                           v1::EditMessageResponse* response) {
  return rpc::HandleAuthenticated(context, [&](const rpc::Caller& caller) -> absl::Status {
    PLAZA_RETURN_IF_ERROR(ValidateConversationId(request->conversation_id()));
    PLAZA_RETURN_IF_ERROR(ValidateSeq(request->seq()));
    v1::MessageContent content;
    *content.mutable_text() = request->text();
    PLAZA_RETURN_IF_ERROR(ValidateContent(content, Author::kClient, false));
    PLAZA_ASSIGN_OR_RETURN(auto changed, store_.Edit(caller.user_id, request->conversation_id(),
                                                     request->seq(), request->text()));
    pushes_.MessageChanged(changed.message, changed.member_ids, DeviceOf(caller));
    *response->mutable_message() = std::move(changed.message);
    return absl::OkStatus();
  });
}

grpc::Status MessagingService::GetEditHistory(grpc::ServerContext* context,
                                              const v1::GetEditHistoryRequest* request,
                                              v1::GetEditHistoryResponse* response) {
  return rpc::HandleAuthenticated(context, [&](const rpc::Caller& caller) -> absl::Status {
    PLAZA_RETURN_IF_ERROR(ValidateConversationId(request->conversation_id()));
    PLAZA_RETURN_IF_ERROR(ValidateSeq(request->seq()));
    PLAZA_ASSIGN_OR_RETURN(
        auto revisions,
        store_.EditHistory(caller.user_id, request->conversation_id(), request->seq()));
    for (auto& revision : revisions) *response->add_revisions() = std::move(revision);
    return absl::OkStatus();
  });
}

grpc::Status MessagingService::DeleteMessages(grpc::ServerContext* context,
                                              const v1::DeleteMessagesRequest* request,
                                              v1::DeleteMessagesResponse*) {
  return rpc::HandleAuthenticated(context, [&](const rpc::Caller& caller) -> absl::Status {
    PLAZA_RETURN_IF_ERROR(ValidateConversationId(request->conversation_id()));
    std::vector<int64_t> seqs;
    PLAZA_RETURN_IF_ERROR(ValidateSeqs(request->seqs(), kMaxDeletePerCall, seqs));
    PLAZA_ASSIGN_OR_RETURN(auto change,
                           store_.DeleteForUser(caller.user_id, request->conversation_id(), seqs));
    PushView(caller, change);
    return absl::OkStatus();
  });
}

grpc::Status MessagingService::ForwardMessages(grpc::ServerContext* context,
                                               const v1::ForwardMessagesRequest* request,
                                               v1::ForwardMessagesResponse* response) {
  return rpc::HandleAuthenticated(context, [&](const rpc::Caller& caller) -> absl::Status {
    PLAZA_RETURN_IF_ERROR(ValidateConversationId(request->source_conversation_id()));
    PLAZA_RETURN_IF_ERROR(ValidateConversationId(request->target_conversation_id()));
    PLAZA_RETURN_IF_ERROR(ValidateClientMessageId(request->client_message_id()));
    std::vector<int64_t> seqs;
    PLAZA_RETURN_IF_ERROR(ValidateSeqs(request->seqs(), kMaxForwardPerCall, seqs));
    PLAZA_ASSIGN_OR_RETURN(
        auto originals,
        store_.VisibleMessages(caller.user_id, request->source_conversation_id(), seqs));
    bool group = false;
    PLAZA_RETURN_IF_ERROR(CheckCanWrite(caller, request->target_conversation_id(), false, group));
    std::vector<NewMessage> copies;
    for (size_t i = 0; i < originals.size(); ++i) {
      const v1::Message& original = originals[i];
      if (original.state() == v1::MESSAGE_STATE_RECALLED) {
        return FailedPrecondition("MESSAGE_RECALLED", "a recalled message cannot be forwarded");
      }
      if (original.content().has_card() || original.content().has_system_notice()) {
        return FailedPrecondition("FORWARD_NOT_ALLOWED", "cards and notices cannot be forwarded");
      }
      NewMessage copy{
          .conversation_id = request->target_conversation_id(),
          .sender_id = caller.user_id,
          .client_message_id = ForwardCopyId(request->client_message_id(), static_cast<int>(i)),
          .content = original.content(),
          .forwarded = true};
      // Replies and mentions belong to the source conversation.
      copy.content.clear_reply_to_seq();
      copy.content.clear_mentions();
      copies.push_back(std::move(copy));
    }
    PLAZA_ASSIGN_OR_RETURN(auto results, SendAndPush(caller, copies));
    for (auto& result : results) *response->add_messages() = std::move(result.message);
    return absl::OkStatus();
  });
}

grpc::Status MessagingService::UpdateConversationSettings(
    grpc::ServerContext* context, const v1::UpdateConversationSettingsRequest* request,
    v1::UpdateConversationSettingsResponse* response) {
  return rpc::HandleAuthenticated(context, [&](const rpc::Caller& caller) -> absl::Status {
    PLAZA_RETURN_IF_ERROR(ValidateConversationId(request->conversation_id()));
    auto value = [](bool has, bool set) { return has ? std::optional<bool>(set) : std::nullopt; };
    PLAZA_ASSIGN_OR_RETURN(auto change,
                           store_.UpdateSettings(caller.user_id, request->conversation_id(),
                                                 value(request->has_muted(), request->muted()),
                                                 value(request->has_pinned(), request->pinned()),
                                                 value(request->has_hidden(), request->hidden())));
    PushView(caller, change);
    *response->mutable_conversation() = std::move(change.conversation);
    return absl::OkStatus();
  });
}

grpc::Status MessagingService::ClearHistory(grpc::ServerContext* context,
                                            const v1::ClearHistoryRequest* request,
                                            v1::ClearHistoryResponse* response) {
  return rpc::HandleAuthenticated(context, [&](const rpc::Caller& caller) -> absl::Status {
    PLAZA_RETURN_IF_ERROR(ValidateConversationId(request->conversation_id()));
    PLAZA_ASSIGN_OR_RETURN(auto change,
                           store_.ClearHistory(caller.user_id, request->conversation_id()));
    PushView(caller, change);
    *response->mutable_conversation() = std::move(change.conversation);
    return absl::OkStatus();
  });
}

grpc::Status MessagingService::SendTyping(grpc::ServerContext* context,
                                          const v1::SendTypingRequest* request,
                                          v1::SendTypingResponse*) {
  return rpc::HandleAuthenticated(context, [&](const rpc::Caller& caller) -> absl::Status {
    PLAZA_RETURN_IF_ERROR(ValidateConversationId(request->conversation_id()));
    PLAZA_ASSIGN_OR_RETURN(auto members,
                           store_.MembersForWriter(caller.user_id, request->conversation_id()));
    std::erase(members, caller.user_id);
    pushes_.Typing(request->conversation_id(), caller.user_id, request->typing(), members);
    return absl::OkStatus();
  });
}

grpc::Status MessagingService::SearchMessages(grpc::ServerContext* context,
                                              const v1::SearchMessagesRequest* request,
                                              v1::SearchMessagesResponse* response) {
  return rpc::HandleAuthenticated(context, [&](const rpc::Caller& caller) -> absl::Status {
    PLAZA_RETURN_IF_ERROR(core::ValidateText("query", request->query(), 1, kMaxQueryChars));
    // 0 searches every conversation of the caller.
    if (request->conversation_id() != 0) {
      PLAZA_RETURN_IF_ERROR(ValidateConversationId(request->conversation_id()));
    }
    int32_t page_size = 0;
    PLAZA_RETURN_IF_ERROR(core::ResolvePageSize(request->page_size(), 20, 50, page_size));
    int64_t offset = 0;
    if (!request->page_token().empty()) {
      PLAZA_RETURN_IF_ERROR(core::DecodePageToken(request->page_token(), offset));
      if (offset < 0 || offset > kMaxSearchOffset) {
        return InvalidArgument("PAGE_TOKEN_INVALID", "search pages end after 1000 results");
      }
    }
    auto terms = QueryTerms(request->query());
    if (terms.empty()) return InvalidArgument("QUERY_INVALID", "the query has no searchable words");
    PLAZA_ASSIGN_OR_RETURN(
        auto messages, store_.Search(caller.user_id, ToTsQuery(terms), request->conversation_id(),
                                     static_cast<int32_t>(offset), page_size + 1));
    if (messages.size() > static_cast<size_t>(page_size)) {
      messages.pop_back();
      if (offset + page_size <= kMaxSearchOffset) {
        response->set_next_page_token(core::EncodePageToken(offset + page_size));
      }
    }
    for (auto& message : messages) *response->add_messages() = std::move(message);
    return absl::OkStatus();
  });
}

grpc::Status MessagingService::GetMessagingSettings(grpc::ServerContext* context,
                                                    const v1::GetMessagingSettingsRequest*,
                                                    v1::GetMessagingSettingsResponse* response) {
  return rpc::HandleAuthenticated(context, [&](const rpc::Caller& caller) -> absl::Status {
    PLAZA_ASSIGN_OR_RETURN(*response->mutable_settings(), store_.GetSettings(caller.user_id));
    return absl::OkStatus();
  });
}

grpc::Status MessagingService::UpdateMessagingSettings(
    grpc::ServerContext* context, const v1::UpdateMessagingSettingsRequest* request,
    v1::UpdateMessagingSettingsResponse* response) {
  return rpc::HandleAuthenticated(context, [&](const rpc::Caller& caller) -> absl::Status {
    PLAZA_RETURN_IF_ERROR(store_.PutSettings(caller.user_id, request->settings()));
    *response->mutable_settings() = request->settings();
    return absl::OkStatus();
  });
}

template <typename Request, typename Response>
grpc::Status InternalService::ChangeMembers(grpc::ServerContext* context, const Request& request,
                                            Response* response, StoreChange change_members,
                                            bool removed) {
  return rpc::Handle(context, [&]() -> absl::Status {
    PLAZA_RETURN_IF_ERROR(ValidateConversationId(request.conversation_id()));
    std::vector<int64_t> users;
    PLAZA_RETURN_IF_ERROR(ValidateMembers(request.user_ids(), users));
    auto notice = NoticeOf(request.has_notice(), request.notice());
    PLAZA_RETURN_IF_ERROR(ValidateNotice(notice));
    PLAZA_ASSIGN_OR_RETURN(auto change,
                           (store_.*change_members)(request.conversation_id(), users, notice));
    PushMembershipChange(change, removed);
    response->set_seq(change.seq);
    return absl::OkStatus();
  });
}

void InternalService::PushMembershipChange(const MembershipChange& change, bool removed) {
  if (!change.notice) return;
  std::vector<int64_t> recipients = change.member_ids;
  // Removed members see the notice about them too.
  if (removed)
    recipients.insert(recipients.end(), change.changed_ids.begin(), change.changed_ids.end());
  pushes_.MessageChanged(*change.notice, recipients, std::nullopt);
}

grpc::Status InternalService::CreateConversation(grpc::ServerContext* context,
                                                 const v1::CreateConversationRequest* request,
                                                 v1::CreateConversationResponse*) {
  return rpc::Handle(context, [&]() -> absl::Status {
    PLAZA_RETURN_IF_ERROR(ValidateConversationId(request->conversation_id()));
    if (request->kind() != v1::CONVERSATION_KIND_GROUP &&
        request->kind() != v1::CONVERSATION_KIND_OFFICIAL) {
      return InvalidArgument("KIND_INVALID", "services create group or official conversations");
    }
    std::vector<int64_t> members;
    PLAZA_RETURN_IF_ERROR(ValidateMembers(request->member_ids(), members));
    auto notice = NoticeOf(request->has_notice(), request->notice());
    PLAZA_RETURN_IF_ERROR(ValidateNotice(notice));
    std::optional<v1::Message> posted;
    PLAZA_RETURN_IF_ERROR(store_.CreateConversation(request->conversation_id(), request->kind(),
                                                    members, notice, posted));
    if (posted) pushes_.MessageChanged(*posted, members, std::nullopt);
    return absl::OkStatus();
  });
}

grpc::Status InternalService::AddMembers(grpc::ServerContext* context,
                                         const v1::AddMembersRequest* request,
                                         v1::AddMembersResponse* response) {
  return ChangeMembers(context, *request, response, &MessagingStore::AddMembers, false);
}

grpc::Status InternalService::RemoveMembers(grpc::ServerContext* context,
                                            const v1::RemoveMembersRequest* request,
                                            v1::RemoveMembersResponse* response) {
  return ChangeMembers(context, *request, response, &MessagingStore::RemoveMembers, true);
}

grpc::Status InternalService::PostMessage(grpc::ServerContext* context,
                                          const v1::PostMessageRequest* request,
                                          v1::PostMessageResponse* response) {
  return rpc::Handle(context, [&]() -> absl::Status {
    PLAZA_RETURN_IF_ERROR(ValidateConversationId(request->conversation_id()));
    if (request->sender_id() < 0)
      return InvalidArgument("SENDER_INVALID", "sender_id is a user id or 0");
    PLAZA_RETURN_IF_ERROR(ValidateClientMessageId(request->client_message_id()));
    PLAZA_RETURN_IF_ERROR(ValidateContent(request->content(), Author::kService, true));
    NewMessage message{.conversation_id = request->conversation_id(),
                       .sender_id = request->sender_id(),
                       .client_message_id = request->client_message_id(),
                       .content = request->content()};
    PLAZA_ASSIGN_OR_RETURN(auto results, store_.Send({message}));
    pushes_.MessageChanged(results[0].message, results[0].member_ids, std::nullopt);
    *response->mutable_message() = std::move(results[0].message);
    return absl::OkStatus();
  });
}

grpc::Status InternalService::CloseConversation(grpc::ServerContext* context,
                                                const v1::CloseConversationRequest* request,
                                                v1::CloseConversationResponse*) {
  return rpc::Handle(context, [&]() -> absl::Status {
    PLAZA_RETURN_IF_ERROR(ValidateConversationId(request->conversation_id()));
    auto notice = NoticeOf(request->has_notice(), request->notice());
    PLAZA_RETURN_IF_ERROR(ValidateNotice(notice));
    PLAZA_ASSIGN_OR_RETURN(auto change, store_.Close(request->conversation_id(), notice));
    PushMembershipChange(change, false);
    return absl::OkStatus();
  });
}

}  // namespace plaza::messaging
