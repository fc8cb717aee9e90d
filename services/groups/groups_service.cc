#include "services/groups/groups_service.h"

#include <google/protobuf/util/time_util.h>
#include <spdlog/spdlog.h>

#include <set>

#include "plaza/core/status.h"
#include "plaza/core/text.h"
#include "plaza/events/announcements.h"

namespace plaza::groups {
namespace {

constexpr size_t kMaxNameChars = 30;
constexpr size_t kMaxAvatarChars = 256;
constexpr size_t kMaxDescriptionChars = 500;
constexpr size_t kMaxAnnouncementChars = 2000;
constexpr size_t kMaxNicknameChars = 32;
constexpr size_t kMaxJoinMessageChars = 100;
constexpr size_t kMaxClientRequestIdBytes = 64;
constexpr size_t kMaxInvitePayloadBytes = 256;

absl::Status ValidateGroupId(int64_t group_id) {
  if (group_id <= 0) return InvalidArgument("GROUP_ID_INVALID", "group_id must be a positive id");
  return absl::OkStatus();
}

absl::Status ValidateId(std::string_view reason, int64_t id) {
  if (id <= 0) return InvalidArgument(reason, "ids are positive");
  return absl::OkStatus();
}

// Another member, for acting on them.
absl::Status ValidateOtherUser(const rpc::Caller& caller, int64_t user_id) {
  PLAZA_RETURN_IF_ERROR(ValidateId("USER_ID_INVALID", user_id));
  if (user_id == caller.user_id) {
    return InvalidArgument("CANNOT_TARGET_SELF", "that needs another member");
  }
  return absl::OkStatus();
}

// min..max distinct positive user ids other than the caller, sorted.
absl::Status ValidateUsers(const google::protobuf::RepeatedField<int64_t>& ids,
                           const rpc::Caller& caller, size_t min, size_t max,
                           std::vector<int64_t>& out) {
  std::set<int64_t> unique;
  for (int64_t id : ids) {
    if (id <= 0) return InvalidArgument("MEMBERS_INVALID", "user ids are positive");
    if (id == caller.user_id) {
      return InvalidArgument("MEMBERS_INVALID", "do not list yourself");
    }
    unique.insert(id);
  }
  if (unique.size() < min || unique.size() > max) {
    return InvalidArgument("MEMBERS_INVALID",
                           "name " + std::to_string(min) + ".." + std::to_string(max) + " users");
  }
  out.assign(unique.begin(), unique.end());
  return absl::OkStatus();
}

// 1..64 of [A-Za-z0-9._:-], like the client ids of messaging.
absl::Status ValidateClientRequestId(std::string_view id) {
  bool ok = !id.empty() && id.size() <= kMaxClientRequestIdBytes;
  for (char c : id) {
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '.' || c == '_' || c == ':' || c == '-');
  }
  if (!ok) {
    return InvalidArgument("CLIENT_REQUEST_ID_INVALID",
                           "client_request_id must be 1..64 of A-Z a-z 0-9 . _ : -");
  }
  return absl::OkStatus();
}

// 0 means `fallback`; otherwise within [min, max].
absl::Status ResolveSeconds(std::string_view reason, int64_t seconds, std::chrono::seconds min,
                            std::chrono::seconds max, std::chrono::seconds fallback,
                            std::chrono::seconds& out) {
  if (seconds == 0) {
    out = fallback;
    return absl::OkStatus();
  }
  if (seconds < min.count() || seconds > max.count()) {
    return InvalidArgument(reason, "must be 0 or " + std::to_string(min.count()) + ".." +
                                       std::to_string(max.count()) + " seconds");
  }
  out = std::chrono::seconds(seconds);
  return absl::OkStatus();
}

absl::Status ValidatePermission(v1::Permission permission) {
  if (!v1::Permission_IsValid(permission)) {
    return InvalidArgument("SETTINGS_INVALID", "unknown permission value");
  }
  return absl::OkStatus();
}

absl::Status ResolvePage(int32_t requested_size, const std::string& token, int32_t fallback,
                         int32_t max, int32_t& size, int64_t& after) {
  PLAZA_RETURN_IF_ERROR(core::ResolvePageSize(requested_size, fallback, max, size));
  after = 0;
  if (!token.empty()) PLAZA_RETURN_IF_ERROR(core::DecodePageToken(token, after));
  return absl::OkStatus();
}

std::optional<bool> IfSet(bool has, bool value) {
  return has ? std::optional<bool>(value) : std::nullopt;
}

}  // namespace

void GroupsService::Changed(int64_t group_id) {
  deps_.relay.DeliverGroup(group_id);
  if (auto announced = events::Announce(deps_.redis, events::kGroupChangesChannel,
                                        events::EncodeGroupChange(group_id));
      !announced.ok()) {
    // Listeners stop trusting what they remember while Redis is away, and forget it within a
    // minute anyway.
    spdlog::warn("could not announce a change of group {}: {}", group_id, announced.ToString());
  }
}

grpc::Status GroupsService::CreateGroup(grpc::ServerContext* context,
                                        const v1::CreateGroupRequest* request,
                                        v1::CreateGroupResponse* response) {
  return rpc::HandleAuthenticated(context, [&](const rpc::Caller& caller) -> absl::Status {
    PLAZA_RETURN_IF_ERROR(ValidateClientRequestId(request->client_request_id()));
    PLAZA_RETURN_IF_ERROR(core::ValidateText("name", request->name(), 0, kMaxNameChars));
    NewGroup group{.owner_id = caller.user_id,
                   .client_request_id = request->client_request_id(),
                   .name = request->name()};
    PLAZA_RETURN_IF_ERROR(ValidateUsers(request->member_ids(), caller, kMinInitialMembers,
                                        kMaxMembers - 1, group.member_ids));
    PLAZA_RETURN_IF_ERROR(deps_.people.RequireFriends(caller.user_id, group.member_ids));
    PLAZA_ASSIGN_OR_RETURN(*response->mutable_group(), deps_.store.CreateGroup(group));
    Changed(response->group().group_id());
    return absl::OkStatus();
  });
}

grpc::Status GroupsService::GetGroup(grpc::ServerContext* context,
                                     const v1::GetGroupRequest* request,
                                     v1::GetGroupResponse* response) {
  return rpc::HandleAuthenticated(context, [&](const rpc::Caller& caller) -> absl::Status {
    PLAZA_RETURN_IF_ERROR(ValidateGroupId(request->group_id()));
    PLAZA_ASSIGN_OR_RETURN(*response->mutable_group(),
                           deps_.store.GetGroup(caller.user_id, request->group_id()));
    return absl::OkStatus();
  });
}

grpc::Status GroupsService::ListMyGroups(grpc::ServerContext* context,
                                         const v1::ListMyGroupsRequest* request,
                                         v1::ListMyGroupsResponse* response) {
  return rpc::HandleAuthenticated(context, [&](const rpc::Caller& caller) -> absl::Status {
    int32_t page_size = 0;
    int64_t after = 0;
    PLAZA_RETURN_IF_ERROR(
        ResolvePage(request->page_size(), request->page_token(), 50, 100, page_size, after));
    PLAZA_ASSIGN_OR_RETURN(auto page, deps_.store.ListMyGroups(caller.user_id, page_size, after,
                                                               request->saved_only()));
    for (auto& group : page.items) *response->add_groups() = std::move(group);
    response->set_next_page_token(page.next_page_token);
    return absl::OkStatus();
  });
}

grpc::Status GroupsService::UpdateGroup(grpc::ServerContext* context,
                                        const v1::UpdateGroupRequest* request,
                                        v1::UpdateGroupResponse* response) {
  return rpc::HandleAuthenticated(context, [&](const rpc::Caller& caller) -> absl::Status {
    PLAZA_RETURN_IF_ERROR(ValidateGroupId(request->group_id()));
    GroupPatch patch;
    if (request->has_name()) {
      PLAZA_RETURN_IF_ERROR(core::ValidateText("name", request->name(), 0, kMaxNameChars));
      patch.name = request->name();
    }
    if (request->has_avatar()) {
      PLAZA_RETURN_IF_ERROR(core::ValidateText("avatar", request->avatar(), 0, kMaxAvatarChars));
      patch.avatar = request->avatar();
    }
    if (request->has_description()) {
      PLAZA_RETURN_IF_ERROR(
          core::ValidateText("description", request->description(), 0, kMaxDescriptionChars, true));
      patch.description = request->description();
    }
    PLAZA_ASSIGN_OR_RETURN(
        *response->mutable_group(),
        Delivered(request->group_id(),
                  deps_.store.UpdateGroup(caller.user_id, request->group_id(), patch)));
    return absl::OkStatus();
  });
}

grpc::Status GroupsService::SetAnnouncement(grpc::ServerContext* context,
                                            const v1::SetAnnouncementRequest* request,
                                            v1::SetAnnouncementResponse* response) {
  return rpc::HandleAuthenticated(context, [&](const rpc::Caller& caller) -> absl::Status {
    PLAZA_RETURN_IF_ERROR(ValidateGroupId(request->group_id()));
    PLAZA_RETURN_IF_ERROR(
        core::ValidateText("announcement", request->text(), 0, kMaxAnnouncementChars, true));
    PLAZA_ASSIGN_OR_RETURN(
        *response->mutable_group(),
        Delivered(request->group_id(), deps_.store.SetAnnouncement(
                                           caller.user_id, request->group_id(), request->text())));
    return absl::OkStatus();
  });
}

grpc::Status GroupsService::UpdateGroupSettings(grpc::ServerContext* context,
                                                const v1::UpdateGroupSettingsRequest* request,
                                                v1::UpdateGroupSettingsResponse* response) {
  return rpc::HandleAuthenticated(context, [&](const rpc::Caller& caller) -> absl::Status {
    PLAZA_RETURN_IF_ERROR(ValidateGroupId(request->group_id()));
    PLAZA_RETURN_IF_ERROR(ValidatePermission(request->who_can_invite()));
    PLAZA_RETURN_IF_ERROR(ValidatePermission(request->who_can_edit_name()));
    SettingsPatch patch{
        .who_can_invite = request->who_can_invite(),
        .who_can_edit_name = request->who_can_edit_name(),
        .join_approval = IfSet(request->has_join_approval(), request->join_approval())};
    PLAZA_ASSIGN_OR_RETURN(
        *response->mutable_group(),
        Delivered(request->group_id(),
                  deps_.store.UpdateSettings(caller.user_id, request->group_id(), patch)));
    return absl::OkStatus();
  });
}

grpc::Status GroupsService::MuteAll(grpc::ServerContext* context, const v1::MuteAllRequest* request,
                                    v1::MuteAllResponse* response) {
  return rpc::HandleAuthenticated(context, [&](const rpc::Caller& caller) -> absl::Status {
    PLAZA_RETURN_IF_ERROR(ValidateGroupId(request->group_id()));
    PLAZA_ASSIGN_OR_RETURN(
        *response->mutable_group(),
        Delivered(request->group_id(),
                  deps_.store.SetMuteAll(caller.user_id, request->group_id(), request->muted())));
    return absl::OkStatus();
  });
}

grpc::Status GroupsService::MuteMember(grpc::ServerContext* context,
                                       const v1::MuteMemberRequest* request,
                                       v1::MuteMemberResponse* response) {
  return rpc::HandleAuthenticated(context, [&](const rpc::Caller& caller) -> absl::Status {
    PLAZA_RETURN_IF_ERROR(ValidateGroupId(request->group_id()));
    PLAZA_RETURN_IF_ERROR(ValidateOtherUser(caller, request->user_id()));
    std::chrono::seconds duration{0};
    PLAZA_RETURN_IF_ERROR(ResolveSeconds("DURATION_INVALID", request->duration_seconds(), kMinMute,
                                         kMaxMute, std::chrono::seconds(0), duration));
    PLAZA_ASSIGN_OR_RETURN(
        *response->mutable_member(),
        Delivered(request->group_id(), deps_.store.MuteMember(caller.user_id, request->group_id(),
                                                              request->user_id(), duration)));
    return absl::OkStatus();
  });
}

grpc::Status GroupsService::SetAdmin(grpc::ServerContext* context,
                                     const v1::SetAdminRequest* request,
                                     v1::SetAdminResponse* response) {
  return rpc::HandleAuthenticated(context, [&](const rpc::Caller& caller) -> absl::Status {
    PLAZA_RETURN_IF_ERROR(ValidateGroupId(request->group_id()));
    PLAZA_RETURN_IF_ERROR(ValidateOtherUser(caller, request->user_id()));
    PLAZA_ASSIGN_OR_RETURN(
        *response->mutable_member(),
        Delivered(request->group_id(), deps_.store.SetAdmin(caller.user_id, request->group_id(),
                                                            request->user_id(), request->admin())));
    return absl::OkStatus();
  });
}

grpc::Status GroupsService::TransferOwnership(grpc::ServerContext* context,
                                              const v1::TransferOwnershipRequest* request,
                                              v1::TransferOwnershipResponse* response) {
  return rpc::HandleAuthenticated(context, [&](const rpc::Caller& caller) -> absl::Status {
    PLAZA_RETURN_IF_ERROR(ValidateGroupId(request->group_id()));
    PLAZA_RETURN_IF_ERROR(ValidateOtherUser(caller, request->new_owner_id()));
    PLAZA_ASSIGN_OR_RETURN(*response->mutable_group(),
                           Delivered(request->group_id(), deps_.store.TransferOwnership(
                                                              caller.user_id, request->group_id(),
                                                              request->new_owner_id())));
    return absl::OkStatus();
  });
}

grpc::Status GroupsService::PinMessage(grpc::ServerContext* context,
                                       const v1::PinMessageRequest* request,
                                       v1::PinMessageResponse* response) {
  return rpc::HandleAuthenticated(context, [&](const rpc::Caller& caller) -> absl::Status {
    PLAZA_RETURN_IF_ERROR(ValidateGroupId(request->group_id()));
    if (request->seq() < 0) {
      return InvalidArgument("SEQ_INVALID", "seq must be a message's sequence, or 0 to unpin");
    }
    PLAZA_ASSIGN_OR_RETURN(
        *response->mutable_group(),
        Delivered(request->group_id(),
                  deps_.store.PinMessage(caller.user_id, request->group_id(), request->seq())));
    return absl::OkStatus();
  });
}

grpc::Status GroupsService::DissolveGroup(grpc::ServerContext* context,
                                          const v1::DissolveGroupRequest* request,
                                          v1::DissolveGroupResponse*) {
  return rpc::HandleAuthenticated(context, [&](const rpc::Caller& caller) -> absl::Status {
    PLAZA_RETURN_IF_ERROR(ValidateGroupId(request->group_id()));
    return Delivered(request->group_id(),
                     deps_.store.Dissolve(caller.user_id, request->group_id()));
  });
}

grpc::Status GroupsService::AddMembers(grpc::ServerContext* context,
                                       const v1::AddMembersRequest* request,
                                       v1::AddMembersResponse* response) {
  return rpc::HandleAuthenticated(context, [&](const rpc::Caller& caller) -> absl::Status {
    PLAZA_RETURN_IF_ERROR(ValidateGroupId(request->group_id()));
    std::vector<int64_t> users;
    PLAZA_RETURN_IF_ERROR(ValidateUsers(request->user_ids(), caller, 1, kMaxMembers - 1, users));
    PLAZA_RETURN_IF_ERROR(deps_.people.RequireFriends(caller.user_id, users));
    PLAZA_ASSIGN_OR_RETURN(
        AddResult result,
        Delivered(request->group_id(),
                  deps_.store.AddMembers(caller.user_id, request->group_id(), users)));
    for (int64_t id : result.added) response->add_added_user_ids(id);
    for (int64_t id : result.pending) response->add_pending_user_ids(id);
    return absl::OkStatus();
  });
}

grpc::Status GroupsService::RemoveMembers(grpc::ServerContext* context,
                                          const v1::RemoveMembersRequest* request,
                                          v1::RemoveMembersResponse* response) {
  return rpc::HandleAuthenticated(context, [&](const rpc::Caller& caller) -> absl::Status {
    PLAZA_RETURN_IF_ERROR(ValidateGroupId(request->group_id()));
    std::vector<int64_t> users;
    PLAZA_RETURN_IF_ERROR(ValidateUsers(request->user_ids(), caller, 1, kMaxMembers - 1, users));
    PLAZA_ASSIGN_OR_RETURN(
        auto removed,
        Delivered(request->group_id(),
                  deps_.store.RemoveMembers(caller.user_id, request->group_id(), users)));
    for (int64_t id : removed) response->add_removed_user_ids(id);
    return absl::OkStatus();
  });
}

grpc::Status GroupsService::LeaveGroup(grpc::ServerContext* context,
                                       const v1::LeaveGroupRequest* request,
                                       v1::LeaveGroupResponse*) {
  return rpc::HandleAuthenticated(context, [&](const rpc::Caller& caller) -> absl::Status {
    PLAZA_RETURN_IF_ERROR(ValidateGroupId(request->group_id()));
    return Delivered(request->group_id(), deps_.store.Leave(caller.user_id, request->group_id()));
  });
}

grpc::Status GroupsService::CreateInvite(grpc::ServerContext* context,
                                         const v1::CreateInviteRequest* request,
                                         v1::CreateInviteResponse* response) {
  return rpc::HandleAuthenticated(context, [&](const rpc::Caller& caller) -> absl::Status {
    PLAZA_RETURN_IF_ERROR(ValidateGroupId(request->group_id()));
    std::chrono::seconds ttl{0};
    PLAZA_RETURN_IF_ERROR(ResolveSeconds("TTL_INVALID", request->ttl_seconds(), kMinInviteTtl,
                                         kMaxInviteTtl, kMaxInviteTtl, ttl));
    // Whole seconds: the payload carries no finer time.
    core::TimePoint expires_at = std::chrono::floor<std::chrono::seconds>(deps_.clock.Now() + ttl);
    PLAZA_ASSIGN_OR_RETURN(v1::Invite invite, deps_.store.CreateInvite(
                                                  caller.user_id, request->group_id(), expires_at));
    invite.set_payload(deps_.invites.Sign({.group_id = invite.group_id(),
                                           .invite_id = invite.invite_id(),
                                           .creator_id = invite.creator_id(),
                                           .expires_at = expires_at}));
    *response->mutable_invite() = std::move(invite);
    return absl::OkStatus();
  });
}

grpc::Status GroupsService::RevokeInvite(grpc::ServerContext* context,
                                         const v1::RevokeInviteRequest* request,
                                         v1::RevokeInviteResponse*) {
  return rpc::HandleAuthenticated(context, [&](const rpc::Caller& caller) -> absl::Status {
    PLAZA_RETURN_IF_ERROR(ValidateGroupId(request->group_id()));
    PLAZA_RETURN_IF_ERROR(ValidateId("INVITE_ID_INVALID", request->invite_id()));
    return deps_.store.RevokeInvite(caller.user_id, request->group_id(), request->invite_id());
  });
}

grpc::Status GroupsService::JoinByInvite(grpc::ServerContext* context,
                                         const v1::JoinByInviteRequest* request,
                                         v1::JoinByInviteResponse* response) {
  return rpc::HandleAuthenticated(context, [&](const rpc::Caller& caller) -> absl::Status {
    if (request->payload().size() > kMaxInvitePayloadBytes) {
      return InvalidArgument("INVITE_INVALID", "this is not a valid Plaza group invitation");
    }
    PLAZA_RETURN_IF_ERROR(
        core::ValidateText("message", request->message(), 0, kMaxJoinMessageChars));
    PLAZA_ASSIGN_OR_RETURN(InviteClaims claims,
                           deps_.invites.Verify(request->payload(), deps_.clock.Now()));
    PLAZA_ASSIGN_OR_RETURN(JoinResult result,
                           deps_.store.JoinByInvite(caller.user_id, claims, request->message()));
    if (result.outcome == v1::JOIN_OUTCOME_JOINED) Changed(claims.group_id);
    response->set_outcome(result.outcome);
    response->set_group_id(claims.group_id);
    response->set_request_id(result.request_id);
    return absl::OkStatus();
  });
}

grpc::Status GroupsService::ListJoinRequests(grpc::ServerContext* context,
                                             const v1::ListJoinRequestsRequest* request,
                                             v1::ListJoinRequestsResponse* response) {
  return rpc::HandleAuthenticated(context, [&](const rpc::Caller& caller) -> absl::Status {
    PLAZA_RETURN_IF_ERROR(ValidateGroupId(request->group_id()));
    int32_t page_size = 0;
    int64_t after = 0;
    PLAZA_RETURN_IF_ERROR(
        ResolvePage(request->page_size(), request->page_token(), 50, 100, page_size, after));
    PLAZA_ASSIGN_OR_RETURN(auto page, deps_.store.ListJoinRequests(
                                          caller.user_id, request->group_id(), page_size, after));
    for (auto& item : page.items) *response->add_requests() = std::move(item);
    response->set_next_page_token(page.next_page_token);
    return absl::OkStatus();
  });
}

grpc::Status GroupsService::ApproveJoinRequest(grpc::ServerContext* context,
                                               const v1::ApproveJoinRequestRequest* request,
                                               v1::ApproveJoinRequestResponse*) {
  return rpc::HandleAuthenticated(context, [&](const rpc::Caller& caller) -> absl::Status {
    PLAZA_RETURN_IF_ERROR(ValidateGroupId(request->group_id()));
    PLAZA_RETURN_IF_ERROR(ValidateId("REQUEST_ID_INVALID", request->request_id()));
    return Delivered(
        request->group_id(),
        deps_.store.ApproveJoinRequest(caller.user_id, request->group_id(), request->request_id()));
  });
}

grpc::Status GroupsService::RejectJoinRequest(grpc::ServerContext* context,
                                              const v1::RejectJoinRequestRequest* request,
                                              v1::RejectJoinRequestResponse*) {
  return rpc::HandleAuthenticated(context, [&](const rpc::Caller& caller) -> absl::Status {
    PLAZA_RETURN_IF_ERROR(ValidateGroupId(request->group_id()));
    PLAZA_RETURN_IF_ERROR(ValidateId("REQUEST_ID_INVALID", request->request_id()));
    return deps_.store.RejectJoinRequest(caller.user_id, request->group_id(),
                                         request->request_id());
  });
}

grpc::Status GroupsService::ListMembers(grpc::ServerContext* context,
                                        const v1::ListMembersRequest* request,
                                        v1::ListMembersResponse* response) {
  return rpc::HandleAuthenticated(context, [&](const rpc::Caller& caller) -> absl::Status {
    PLAZA_RETURN_IF_ERROR(ValidateGroupId(request->group_id()));
    int32_t page_size = 0;
    int64_t after = 0;
    PLAZA_RETURN_IF_ERROR(ResolvePage(request->page_size(), request->page_token(), 100, kMaxMembers,
                                      page_size, after));
    PLAZA_ASSIGN_OR_RETURN(
        auto page, deps_.store.ListMembers(caller.user_id, request->group_id(), page_size, after));
    for (auto& member : page.items) *response->add_members() = std::move(member);
    response->set_next_page_token(page.next_page_token);
    return absl::OkStatus();
  });
}

grpc::Status GroupsService::SetMyGroupNickname(grpc::ServerContext* context,
                                               const v1::SetMyGroupNicknameRequest* request,
                                               v1::SetMyGroupNicknameResponse* response) {
  return rpc::HandleAuthenticated(context, [&](const rpc::Caller& caller) -> absl::Status {
    PLAZA_RETURN_IF_ERROR(ValidateGroupId(request->group_id()));
    PLAZA_RETURN_IF_ERROR(
        core::ValidateText("nickname", request->nickname(), 0, kMaxNicknameChars));
    PLAZA_ASSIGN_OR_RETURN(
        *response->mutable_member(),
        deps_.store.SetNickname(caller.user_id, request->group_id(), request->nickname()));
    return absl::OkStatus();
  });
}

grpc::Status GroupsService::UpdateMyGroupSettings(grpc::ServerContext* context,
                                                  const v1::UpdateMyGroupSettingsRequest* request,
                                                  v1::UpdateMyGroupSettingsResponse* response) {
  return rpc::HandleAuthenticated(context, [&](const rpc::Caller& caller) -> absl::Status {
    PLAZA_RETURN_IF_ERROR(ValidateGroupId(request->group_id()));
    PLAZA_ASSIGN_OR_RETURN(
        *response->mutable_settings(),
        deps_.store.UpdateMySettings(
            caller.user_id, request->group_id(),
            IfSet(request->has_show_nicknames(), request->show_nicknames()),
            IfSet(request->has_saved_to_contacts(), request->saved_to_contacts())));
    return absl::OkStatus();
  });
}

grpc::Status InternalService::GetSendPolicy(grpc::ServerContext* context,
                                            const v1::GetSendPolicyRequest* request,
                                            v1::GetSendPolicyResponse* response) {
  return rpc::Handle(context, [&]() -> absl::Status {
    PLAZA_RETURN_IF_ERROR(ValidateGroupId(request->group_id()));
    PLAZA_RETURN_IF_ERROR(ValidateId("USER_ID_INVALID", request->user_id()));
    PLAZA_ASSIGN_OR_RETURN(SendState state,
                           store_.GetSendState(request->group_id(), request->user_id()));
    SendPolicy policy = DecideSendPolicy(state, clock_.Now());
    response->set_can_send(policy.can_send);
    response->set_refusal(policy.refusal);
    if (policy.mute_end) {
      *response->mutable_mute_end_time() =
          google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(
              core::UnixMicros(*policy.mute_end));
    }
    response->set_can_mention_all(policy.can_mention_all);
    return absl::OkStatus();
  });
}

}  // namespace plaza::groups
