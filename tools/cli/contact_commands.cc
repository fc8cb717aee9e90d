// plaza friends | search | add | requests | accept | decline

#include "tools/cli/command.h"
#include "tools/cli/format.h"
#include "tools/cli/operations.h"
#include "tools/cli/peer_ref.h"

namespace plaza::cli {
namespace {

using identity::v1::AcceptFriendRequestRequest;
using identity::v1::AcceptFriendRequestResponse;
using identity::v1::DeclineFriendRequestRequest;
using identity::v1::DeclineFriendRequestResponse;
using identity::v1::ListFriendRequestsRequest;
using identity::v1::ListFriendRequestsResponse;
using identity::v1::ListFriendsRequest;
using identity::v1::ListFriendsResponse;
using identity::v1::SearchUserRequest;
using identity::v1::SearchUserResponse;
using identity::v1::SendFriendRequestRequest;
using identity::v1::SendFriendRequestResponse;

absl::StatusOr<int64_t> RequestIdArg(CommandContext& context) {
  return ParseInteger("the request id", context.arg(0));
}

}  // namespace

absl::Status RunFriends(CommandContext& context) {
  PLAZA_ASSIGN_OR_RETURN(auto all, ListAllFriends(context.session()));
  context.Emit(ProtoJson(all), [&] { return RenderFriends(all); });
  return absl::OkStatus();
}

absl::Status RunSearch(CommandContext& context) {
  Session& session = context.session();
  SearchUserRequest request;
  request.set_query(context.arg(0));
  PLAZA_ASSIGN_OR_RETURN(
      auto found, session.Call<SearchUserResponse>([&](grpc::ClientContext* call, auto* out) {
        return session.identity().SearchUser(call, request, out);
      }));
  context.Emit(ProtoJson(found), [&] { return RenderSearch(found, session.config().user_id()); });
  return absl::OkStatus();
}

absl::Status RunAdd(CommandContext& context) {
  Session& session = context.session();
  PLAZA_ASSIGN_OR_RETURN(PeerRef peer, ParsePeerRef(context.arg(0), /*allow_conversation=*/false));
  SendFriendRequestRequest request;
  PLAZA_ASSIGN_OR_RETURN(int64_t user_id, ResolveUser(session, peer));
  request.set_user_id(user_id);
  request.set_greeting(context.invocation().Flag("greeting").value_or(""));
  request.set_source(identity::v1::FRIEND_REQUEST_SOURCE_SEARCH);
  PLAZA_ASSIGN_OR_RETURN(
      auto sent, session.Call<SendFriendRequestResponse>([&](grpc::ClientContext* call, auto* out) {
        return session.identity().SendFriendRequest(call, request, out);
      }));
  context.Emit(ProtoJson(sent), [&] {
    // The response's peer may be empty; the user is then called as they were named.
    const auto& profile = sent.request().peer();
    std::string name = !profile.display_name().empty()       ? ProfileName(profile)
                       : peer.kind == PeerRef::Kind::kUserId ? "user " + context.arg(0)
                                                             : context.arg(0);
    if (sent.became_friends()) return "You and " + name + " are now friends.\n";
    return "Friend request " + std::to_string(sent.request().request_id()) + " sent to " + name +
           "; it waits for their approval.\n";
  });
  return absl::OkStatus();
}

absl::Status RunRequests(CommandContext& context) {
  Session& session = context.session();
  bool outgoing = context.invocation().Has("outgoing");
  ListFriendRequestsRequest request;
  request.set_direction(outgoing ? identity::v1::FRIEND_REQUEST_DIRECTION_OUTGOING
                                 : identity::v1::FRIEND_REQUEST_DIRECTION_INCOMING);
  request.set_page_size(100);
  PLAZA_ASSIGN_OR_RETURN(
      auto all, session.CallPages<ListFriendRequestsResponse>(
                    request,
                    [&](auto* call, const auto& page_request, auto* out) {
                      return session.identity().ListFriendRequests(call, page_request, out);
                    },
                    [](auto& all, const auto& page) {
                      all.mutable_requests()->MergeFrom(page.requests());
                    }));
  context.Emit(ProtoJson(all),
               [&] { return RenderFriendRequests(all, outgoing, NowUnixSeconds()); });
  return absl::OkStatus();
}

absl::Status RunAccept(CommandContext& context) {
  Session& session = context.session();
  AcceptFriendRequestRequest request;
  PLAZA_ASSIGN_OR_RETURN(int64_t request_id, RequestIdArg(context));
  request.set_request_id(request_id);
  request.set_remark(context.invocation().Flag("remark").value_or(""));
  PLAZA_ASSIGN_OR_RETURN(
      auto accepted,
      session.Call<AcceptFriendRequestResponse>([&](grpc::ClientContext* call, auto* out) {
        return session.identity().AcceptFriendRequest(call, request, out);
      }));
  context.Emit(ProtoJson(accepted), [&] {
    return "You and " + ProfileName(accepted.friend_().profile()) + " are now friends.\n";
  });
  return absl::OkStatus();
}

absl::Status RunDecline(CommandContext& context) {
  Session& session = context.session();
  DeclineFriendRequestRequest request;
  PLAZA_ASSIGN_OR_RETURN(int64_t request_id, RequestIdArg(context));
  request.set_request_id(request_id);
  PLAZA_ASSIGN_OR_RETURN(
      auto declined,
      session.Call<DeclineFriendRequestResponse>([&](grpc::ClientContext* call, auto* out) {
        return session.identity().DeclineFriendRequest(call, request, out);
      }));
  context.Emit(ProtoJson(declined),
               [&] { return "Declined friend request " + std::to_string(request_id) + ".\n"; });
  return absl::OkStatus();
}

}  // namespace plaza::cli
