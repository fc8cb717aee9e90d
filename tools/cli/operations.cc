#include "tools/cli/operations.h"

#include "tools/cli/ids.h"

namespace plaza::cli {
namespace {

namespace identity_v1 = identity::v1;
namespace messaging_v1 = messaging::v1;

}  // namespace

absl::StatusOr<NameBook> LoadNameBook(Session& session) {
  NameBook names{.me = session.config().user_id()};
  identity_v1::ListFriendsRequest request;
  request.set_page_size(500);
  do {
    PLAZA_ASSIGN_OR_RETURN(
        auto page, session.Call<identity_v1::ListFriendsResponse>(
                       [&](grpc::ClientContext* context, identity_v1::ListFriendsResponse* out) {
                         return session.identity().ListFriends(context, request, out);
                       }));
    for (const auto& friend_entry : page.friends()) {
      names.names[friend_entry.profile().user_id()] = friend_entry.remark().empty()
                                                          ? friend_entry.profile().display_name()
                                                          : friend_entry.remark();
    }
    request.set_page_token(page.next_page_token());
  } while (!request.page_token().empty());
  return names;
}

absl::StatusOr<int64_t> ResolveUser(Session& session, const PeerRef& peer) {
  if (peer.kind == PeerRef::Kind::kUserId) return peer.id;
  identity_v1::SearchUserRequest request;
  request.set_query(peer.query);
  PLAZA_ASSIGN_OR_RETURN(
      auto found, session.Call<identity_v1::SearchUserResponse>(
                      [&](grpc::ClientContext* context, identity_v1::SearchUserResponse* out) {
                        return session.identity().SearchUser(context, request, out);
                      }));
  return found.profile().user_id();
}

absl::StatusOr<messaging_v1::Conversation> ResolveConversation(Session& session,
                                                               const PeerRef& peer) {
  if (peer.kind == PeerRef::Kind::kConversationId) {
    messaging_v1::GetConversationRequest request;
    request.set_conversation_id(peer.id);
    PLAZA_ASSIGN_OR_RETURN(
        auto got,
        session.Call<messaging_v1::GetConversationResponse>(
            [&](grpc::ClientContext* context, messaging_v1::GetConversationResponse* out) {
              return session.messaging().GetConversation(context, request, out);
            }));
    return got.conversation();
  }
  PLAZA_ASSIGN_OR_RETURN(int64_t user_id, ResolveUser(session, peer));
  messaging_v1::OpenDirectConversationRequest request;
  request.set_peer_user_id(user_id);
  PLAZA_ASSIGN_OR_RETURN(
      auto opened,
      session.Call<messaging_v1::OpenDirectConversationResponse>(
          [&](grpc::ClientContext* context, messaging_v1::OpenDirectConversationResponse* out) {
            return session.messaging().OpenDirectConversation(context, request, out);
          }));
  return opened.conversation();
}

absl::StatusOr<messaging_v1::SendMessageResponse> SendText(Session& session,
                                                           int64_t conversation_id,
                                                           const std::string& text) {
  messaging_v1::SendMessageRequest request;
  request.set_conversation_id(conversation_id);
  request.set_client_message_id(
      NewClientMessageId(std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count(),
                         RandomBits()));
  request.mutable_content()->mutable_text()->set_text(text);
  return RetryTransient([&] {
    return session.Call<messaging_v1::SendMessageResponse>(
        [&](grpc::ClientContext* context, messaging_v1::SendMessageResponse* out) {
          return session.messaging().SendMessage(context, request, out);
        });
  });
}

absl::Status SyncPages(
    Session& session,
    const std::function<absl::Status(const messaging_v1::SyncResponse&)>& on_page) {
  messaging_v1::SyncRequest request;
  request.set_cursor(session.config().sync_cursor());
  for (;;) {
    PLAZA_ASSIGN_OR_RETURN(auto page,
                           session.Call<messaging_v1::SyncResponse>(
                               [&](grpc::ClientContext* context, messaging_v1::SyncResponse* out) {
                                 return session.messaging().Sync(context, request, out);
                               }));
    PLAZA_RETURN_IF_ERROR(on_page(page));
    if (!page.has_more()) return absl::OkStatus();
    request.set_cursor(page.cursor());
  }
}

absl::Status SaveSyncCursor(Session& session, const std::string& cursor) {
  return session
      .UpdateConfig([&](CliConfig& config) {
        config.set_sync_cursor(cursor);
        return absl::OkStatus();
      })
      .status();
}

}  // namespace plaza::cli
