#pragma once

// The gRPC face of messaging: plaza.messaging.v1.MessagingService for clients and
// InternalService for other Plaza services. Validates input, authorizes the caller (membership
// is checked by the store inside the transaction that acts), calls the store, pushes after
// commit, and maps results to statuses with reasons.

#include <mutex>
#include <unordered_map>

#include "plaza/messaging/v1/internal_service.grpc.pb.h"
#include "plaza/messaging/v1/messaging_service.grpc.pb.h"
#include "plaza/rpc/call.h"
#include "services/messaging/group_policies.h"
#include "services/messaging/messaging_store.h"
#include "services/messaging/pushes.h"
#include "services/messaging/relations.h"

namespace plaza::messaging {

class MessagingService final : public v1::MessagingService::Service {
 public:
  MessagingService(MessagingStore& store, Relations& relations, GroupPolicies& group_policies,
                   Pushes& pushes)
      : store_(store), relations_(relations), group_policies_(group_policies), pushes_(pushes) {}

  grpc::Status OpenDirectConversation(grpc::ServerContext*,
                                      const v1::OpenDirectConversationRequest*,
                                      v1::OpenDirectConversationResponse*) override;
  grpc::Status ListConversations(grpc::ServerContext*, const v1::ListConversationsRequest*,
                                 v1::ListConversationsResponse*) override;
  grpc::Status GetConversation(grpc::ServerContext*, const v1::GetConversationRequest*,
                               v1::GetConversationResponse*) override;
  grpc::Status SendMessage(grpc::ServerContext*, const v1::SendMessageRequest*,
                           v1::SendMessageResponse*) override;
  grpc::Status GetHistory(grpc::ServerContext*, const v1::GetHistoryRequest*,
                          v1::GetHistoryResponse*) override;
  grpc::Status Sync(grpc::ServerContext*, const v1::SyncRequest*, v1::SyncResponse*) override;
  grpc::Status MarkRead(grpc::ServerContext*, const v1::MarkReadRequest*,
                        v1::MarkReadResponse*) override;
  grpc::Status GetReadCounts(grpc::ServerContext*, const v1::GetReadCountsRequest*,
                             v1::GetReadCountsResponse*) override;
  grpc::Status RecallMessage(grpc::ServerContext*, const v1::RecallMessageRequest*,
                             v1::RecallMessageResponse*) override;
  grpc::Status EditMessage(grpc::ServerContext*, const v1::EditMessageRequest*,
                           v1::EditMessageResponse*) override;
  grpc::Status GetEditHistory(grpc::ServerContext*, const v1::GetEditHistoryRequest*,
                              v1::GetEditHistoryResponse*) override;
  grpc::Status DeleteMessages(grpc::ServerContext*, const v1::DeleteMessagesRequest*,
                              v1::DeleteMessagesResponse*) override;
  grpc::Status ForwardMessages(grpc::ServerContext*, const v1::ForwardMessagesRequest*,
                               v1::ForwardMessagesResponse*) override;
  grpc::Status UpdateConversationSettings(grpc::ServerContext*,
                                          const v1::UpdateConversationSettingsRequest*,
                                          v1::UpdateConversationSettingsResponse*) override;
  grpc::Status ClearHistory(grpc::ServerContext*, const v1::ClearHistoryRequest*,
                            v1::ClearHistoryResponse*) override;
  grpc::Status SendTyping(grpc::ServerContext*, const v1::SendTypingRequest*,
                          v1::SendTypingResponse*) override;
  grpc::Status SearchMessages(grpc::ServerContext*, const v1::SearchMessagesRequest*,
                              v1::SearchMessagesResponse*) override;
  grpc::Status GetMessagingSettings(grpc::ServerContext*, const v1::GetMessagingSettingsRequest*,
                                    v1::GetMessagingSettingsResponse*) override;
  grpc::Status UpdateMessagingSettings(grpc::ServerContext*,
                                       const v1::UpdateMessagingSettingsRequest*,
                                       v1::UpdateMessagingSettingsResponse*) override;

 private:
  // May the caller write to the conversation now: asks identity (direct: are they still
  // friends) or groups (muted, @all); `group` tells which kind it is.
  absl::Status CheckCanWrite(const rpc::Caller& caller, int64_t conversation_id,
                             bool mentions_all, bool& group);
  // Stores and pushes; the results in order.
  absl::StatusOr<std::vector<SendResult>> SendAndPush(const rpc::Caller& caller,
                                                      const std::vector<NewMessage>& messages);
  // Tells the caller's other devices (and a peer who sees the caller's receipts) about a view.
  void PushView(const rpc::Caller& caller, const ViewChange& change);

  MessagingStore& store_;
  Relations& relations_;
  GroupPolicies& group_policies_;
  Pushes& pushes_;
  // (user, conversation) -> its kind and, if direct, the peer. Neither ever changes, so a send
  // needs the database once per writer for them (whether they may still write is identity's or
  // groups' answer, asked every time). Emptied when full.
  static constexpr size_t kMaxCachedTargets = 100'000;
  struct WriteTarget {
    bool group = false;
    int64_t peer_user_id = 0;
  };
  struct PairHash {
    size_t operator()(const std::pair<int64_t, int64_t>& key) const {
      return std::hash<int64_t>()(key.first * 0x9E3779B97F4A7C15ULL ^ key.second);
    }
  };
  std::mutex targets_mutex_;
  std::unordered_map<std::pair<int64_t, int64_t>, WriteTarget, PairHash> write_targets_;
};

class InternalService final : public v1::InternalService::Service {
 public:
  InternalService(MessagingStore& store, Pushes& pushes) : store_(store), pushes_(pushes) {}

  grpc::Status CreateConversation(grpc::ServerContext*, const v1::CreateConversationRequest*,
                                  v1::CreateConversationResponse*) override;
  grpc::Status AddMembers(grpc::ServerContext*, const v1::AddMembersRequest*,
                          v1::AddMembersResponse*) override;
  grpc::Status RemoveMembers(grpc::ServerContext*, const v1::RemoveMembersRequest*,
                             v1::RemoveMembersResponse*) override;
  grpc::Status PostMessage(grpc::ServerContext*, const v1::PostMessageRequest*,
                           v1::PostMessageResponse*) override;
  grpc::Status CloseConversation(grpc::ServerContext*, const v1::CloseConversationRequest*,
                                 v1::CloseConversationResponse*) override;

 private:
  using StoreChange = absl::StatusOr<MembershipChange> (MessagingStore::*)(
      int64_t, const std::vector<int64_t>&, const std::optional<v1::SystemNotice>&);
  // AddMembers and RemoveMembers: validate, change, push the notice, answer its sequence.
  template <typename Request, typename Response>
  grpc::Status ChangeMembers(grpc::ServerContext* context, const Request& request,
                             Response* response, StoreChange change_members, bool removed);
  void PushMembershipChange(const MembershipChange& change, bool removed);

  MessagingStore& store_;
  Pushes& pushes_;
};

}  // namespace plaza::messaging
