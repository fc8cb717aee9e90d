#pragma once

// The gRPC face of groups: plaza.groups.v1.GroupsService for clients and InternalService for
// messaging. Validates input, checks friendships with identity where people are brought in,
// calls the store (which decides roles and limits inside the transaction that acts), delivers
// what the change queued for messaging, announces the change (messaging forgets what it
// remembered about who may speak there), and maps results to statuses with reasons.

#include "plaza/core/clock.h"
#include "plaza/groups/v1/groups_service.grpc.pb.h"
#include "plaza/groups/v1/internal_service.grpc.pb.h"
#include "plaza/redis/redis.h"
#include "plaza/rpc/call.h"
#include "services/groups/groups_store.h"
#include "services/groups/invite_token.h"
#include "services/groups/outbox_relay.h"
#include "services/groups/people.h"

namespace plaza::groups {

// Everything the service calls; owned by main().
struct GroupsDependencies {
  GroupsStore& store;
  People& people;
  OutboxRelay& relay;
  const InviteSigner& invites;
  const core::Clock& clock;
  redis::Pool& redis;
};

class GroupsService final : public v1::GroupsService::Service {
 public:
  explicit GroupsService(GroupsDependencies deps) : deps_(deps) {}

  grpc::Status CreateGroup(grpc::ServerContext*, const v1::CreateGroupRequest*,
                           v1::CreateGroupResponse*) override;
  grpc::Status GetGroup(grpc::ServerContext*, const v1::GetGroupRequest*,
                        v1::GetGroupResponse*) override;
  grpc::Status ListMyGroups(grpc::ServerContext*, const v1::ListMyGroupsRequest*,
                            v1::ListMyGroupsResponse*) override;
  grpc::Status UpdateGroup(grpc::ServerContext*, const v1::UpdateGroupRequest*,
                           v1::UpdateGroupResponse*) override;
  grpc::Status SetAnnouncement(grpc::ServerContext*, const v1::SetAnnouncementRequest*,
                               v1::SetAnnouncementResponse*) override;
  grpc::Status UpdateGroupSettings(grpc::ServerContext*, const v1::UpdateGroupSettingsRequest*,
                                   v1::UpdateGroupSettingsResponse*) override;
  grpc::Status MuteAll(grpc::ServerContext*, const v1::MuteAllRequest*,
                       v1::MuteAllResponse*) override;
  grpc::Status MuteMember(grpc::ServerContext*, const v1::MuteMemberRequest*,
                          v1::MuteMemberResponse*) override;
  grpc::Status SetAdmin(grpc::ServerContext*, const v1::SetAdminRequest*,
                        v1::SetAdminResponse*) override;
  grpc::Status TransferOwnership(grpc::ServerContext*, const v1::TransferOwnershipRequest*,
                                 v1::TransferOwnershipResponse*) override;
  grpc::Status PinMessage(grpc::ServerContext*, const v1::PinMessageRequest*,
                          v1::PinMessageResponse*) override;
  grpc::Status DissolveGroup(grpc::ServerContext*, const v1::DissolveGroupRequest*,
                             v1::DissolveGroupResponse*) override;
  grpc::Status AddMembers(grpc::ServerContext*, const v1::AddMembersRequest*,
                          v1::AddMembersResponse*) override;
  grpc::Status RemoveMembers(grpc::ServerContext*, const v1::RemoveMembersRequest*,
                             v1::RemoveMembersResponse*) override;
  grpc::Status LeaveGroup(grpc::ServerContext*, const v1::LeaveGroupRequest*,
                          v1::LeaveGroupResponse*) override;
  grpc::Status CreateInvite(grpc::ServerContext*, const v1::CreateInviteRequest*,
                            v1::CreateInviteResponse*) override;
  grpc::Status RevokeInvite(grpc::ServerContext*, const v1::RevokeInviteRequest*,
                            v1::RevokeInviteResponse*) override;
  grpc::Status JoinByInvite(grpc::ServerContext*, const v1::JoinByInviteRequest*,
                            v1::JoinByInviteResponse*) override;
  grpc::Status ListJoinRequests(grpc::ServerContext*, const v1::ListJoinRequestsRequest*,
                                v1::ListJoinRequestsResponse*) override;
  grpc::Status ApproveJoinRequest(grpc::ServerContext*, const v1::ApproveJoinRequestRequest*,
                                  v1::ApproveJoinRequestResponse*) override;
  grpc::Status RejectJoinRequest(grpc::ServerContext*, const v1::RejectJoinRequestRequest*,
                                 v1::RejectJoinRequestResponse*) override;
  grpc::Status ListMembers(grpc::ServerContext*, const v1::ListMembersRequest*,
                           v1::ListMembersResponse*) override;
  grpc::Status SetMyGroupNickname(grpc::ServerContext*, const v1::SetMyGroupNicknameRequest*,
                                  v1::SetMyGroupNicknameResponse*) override;
  grpc::Status UpdateMyGroupSettings(grpc::ServerContext*, const v1::UpdateMyGroupSettingsRequest*,
                                     v1::UpdateMyGroupSettingsResponse*) override;

 private:
  // `result` of a store call that changed `group_id`; if it succeeded, see Changed.
  template <typename Result>
  Result Delivered(int64_t group_id, Result result) {
    if (result.ok()) Changed(group_id);
    return result;
  }
  // After a change of the group committed: delivers what it queued for messaging and announces
  // it, before the caller gets the answer.
  void Changed(int64_t group_id);

  GroupsDependencies deps_;
};

class InternalService final : public v1::InternalService::Service {
 public:
  InternalService(GroupsStore& store, const core::Clock& clock) : store_(store), clock_(clock) {}

  grpc::Status GetSendPolicy(grpc::ServerContext*, const v1::GetSendPolicyRequest*,
                             v1::GetSendPolicyResponse*) override;

 private:
  GroupsStore& store_;
  const core::Clock& clock_;
};

}  // namespace plaza::groups
