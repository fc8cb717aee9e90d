#include "tools/cli/operations.h"

#include <algorithm>

#include "tools/cli/ids.h"

namespace plaza::cli {
namespace {

namespace groups_v1 = groups::v1;
namespace identity_v1 = identity::v1;
namespace messaging_v1 = messaging::v1;

// GetReadCounts takes at most this many sequences.
constexpr size_t kReadCountsBatch = 100;
// ListMembers' largest page: a whole group (at most 500 members) in one call.
constexpr int32_t kMembersPage = 500;

}  // namespace

absl::StatusOr<identity_v1::ListFriendsResponse> ListAllFriends(Session& session) {
  identity_v1::ListFriendsRequest request;
  request.set_page_size(500);
  return session.CallPages<identity_v1::ListFriendsResponse>(
      request,
      [&](auto* context, const auto& page_request, auto* out) {
        return session.identity().ListFriends(context, page_request, out);
      },
      [](auto& all, const auto& page) { all.mutable_friends()->MergeFrom(page.friends()); });
}

absl::StatusOr<NameBook> LoadNameBook(Session& session, const groups_v1::Group* group) {
  int64_t me = session.config().user_id();
  PLAZA_ASSIGN_OR_RETURN(auto friends, ListAllFriends(session));
  if (group == nullptr) return FriendNames(me, friends);
  PLAZA_ASSIGN_OR_RETURN(auto members,
                         ListMembers(session, group->group_id(), kMembersPage, /*all=*/true));
  return GroupNames(me, friends, members, group->my_settings().show_nicknames());
}

void UserNames::Learn(int64_t user_id) {
  if (!look_up_ || user_id == 0) return;  // 0: Plaza's own notices
  {
    std::lock_guard lock(mutex_);
    if (user_id == book_.me || book_.names.contains(user_id) || settled_.contains(user_id)) return;
  }
  // Not under the lock: printing goes on while identity answers.
  identity_v1::GetProfileRequest request;
  request.set_user_id(user_id);
  auto found = session_.Call<identity_v1::GetProfileResponse>(
      [&](grpc::ClientContext* context, identity_v1::GetProfileResponse* out) {
        return session_.identity().GetProfile(context, request, out);
      });
  std::lock_guard lock(mutex_);
  if (!found.ok()) {
    if (!IsTransient(found.status())) settled_.insert(user_id);
    return;
  }
  settled_.insert(user_id);
  const std::string& name = found->is_friend() && !found->remark().empty()
                                ? found->remark()
                                : found->profile().display_name();
  if (!name.empty()) book_.names.emplace(user_id, name);
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

absl::StatusOr<std::vector<int64_t>> ResolveUsers(Session& session,
                                                  const std::vector<PeerRef>& peers) {
  std::vector<int64_t> user_ids;
  for (const PeerRef& peer : peers) {
    PLAZA_ASSIGN_OR_RETURN(int64_t user_id,
                           RetryTransient([&] { return ResolveUser(session, peer); }));
    if (std::find(user_ids.begin(), user_ids.end(), user_id) == user_ids.end()) {
      user_ids.push_back(user_id);
    }
  }
  return user_ids;
}

absl::StatusOr<groups_v1::Group> GetGroup(Session& session, int64_t group_id) {
  groups_v1::GetGroupRequest request;
  request.set_group_id(group_id);
  PLAZA_ASSIGN_OR_RETURN(auto got,
                         session.Call<groups_v1::GetGroupResponse>(
                             [&](grpc::ClientContext* context, groups_v1::GetGroupResponse* out) {
                               return session.groups().GetGroup(context, request, out);
                             }));
  return got.group();
}

absl::StatusOr<std::optional<groups_v1::Group>> GroupOf(
    Session& session, const messaging_v1::Conversation& conversation) {
  if (conversation.kind() != messaging_v1::CONVERSATION_KIND_GROUP) return std::nullopt;
  PLAZA_ASSIGN_OR_RETURN(auto group, GetGroup(session, conversation.group_id()));
  return group;
}

absl::StatusOr<groups_v1::ListMembersResponse> ListMembers(Session& session, int64_t group_id,
                                                           int32_t page_size, bool all) {
  groups_v1::ListMembersRequest request;
  request.set_group_id(group_id);
  request.set_page_size(page_size);
  return session.CallPages<groups_v1::ListMembersResponse>(
      request,
      [&](auto* context, const auto& page_request, auto* out) {
        return session.groups().ListMembers(context, page_request, out);
      },
      [](auto& merged, const auto& page) { merged.mutable_members()->MergeFrom(page.members()); },
      all);
}

absl::StatusOr<messaging_v1::GetReadCountsResponse> GetReadCounts(
    Session& session, int64_t conversation_id, const std::vector<int64_t>& seqs) {
  messaging_v1::GetReadCountsResponse all;
  for (size_t start = 0; start < seqs.size(); start += kReadCountsBatch) {
    messaging_v1::GetReadCountsRequest request;
    request.set_conversation_id(conversation_id);
    size_t end = std::min(seqs.size(), start + kReadCountsBatch);
    for (size_t i = start; i < end; ++i) request.add_seqs(seqs[i]);
    PLAZA_ASSIGN_OR_RETURN(
        auto page, session.Call<messaging_v1::GetReadCountsResponse>(
                       [&](grpc::ClientContext* context, messaging_v1::GetReadCountsResponse* out) {
                         return session.messaging().GetReadCounts(context, request, out);
                       }));
    all.mutable_read_counts()->MergeFrom(page.read_counts());
  }
  return all;
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
