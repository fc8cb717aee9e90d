#pragma once

// The gRPC face of identity: plaza.identity.v1.IdentityService and InternalService. Validates
// input, authorizes the caller, calls the store, and maps results to statuses with reasons.

#include <chrono>

#include "plaza/auth/secret.h"
#include "plaza/auth/token.h"
#include "plaza/core/clock.h"
#include "plaza/identity/v1/identity_service.grpc.pb.h"
#include "plaza/identity/v1/internal_service.grpc.pb.h"
#include "plaza/redis/rate_limiter.h"
#include "plaza/rpc/call.h"
#include "plaza/rpc/revocation.h"
#include "services/identity/identity_store.h"
#include "services/identity/notifier.h"
#include "services/identity/sms_sender.h"

namespace plaza::identity {

struct IdentityOptions {
  std::chrono::seconds access_token_ttl{15 * 60};
  std::chrono::seconds refresh_token_ttl{30 * 24 * 3600};
  std::chrono::seconds qr_code_ttl{7 * 24 * 3600};
  auth::HashStrength password_strength = auth::HashStrength::kInteractive;
};

// Everything the service calls; owned by main().
struct IdentityDependencies {
  IdentityStore& store;
  const auth::Signer& signer;
  const auth::Verifier& verifier;
  rpc::SessionRevocations& revocations;
  redis::RateLimiter& limiter;
  SmsSender& sms;
  Notifier& notifier;
  const core::Clock& clock;
};

class IdentityService final : public v1::IdentityService::Service {
 public:
  IdentityService(IdentityDependencies deps, IdentityOptions options);

  grpc::Status RequestCode(grpc::ServerContext*, const v1::RequestCodeRequest*, v1::RequestCodeResponse*) override;
  grpc::Status Register(grpc::ServerContext*, const v1::RegisterRequest*, v1::RegisterResponse*) override;
  grpc::Status Login(grpc::ServerContext*, const v1::LoginRequest*, v1::LoginResponse*) override;
  grpc::Status RefreshSession(grpc::ServerContext*, const v1::RefreshSessionRequest*, v1::RefreshSessionResponse*) override;
  grpc::Status Logout(grpc::ServerContext*, const v1::LogoutRequest*, v1::LogoutResponse*) override;
  grpc::Status LogoutOtherSessions(grpc::ServerContext*, const v1::LogoutOtherSessionsRequest*, v1::LogoutOtherSessionsResponse*) override;
  grpc::Status ListSessions(grpc::ServerContext*, const v1::ListSessionsRequest*, v1::ListSessionsResponse*) override;
  grpc::Status SetPassword(grpc::ServerContext*, const v1::SetPasswordRequest*, v1::SetPasswordResponse*) override;
  grpc::Status GetMyProfile(grpc::ServerContext*, const v1::GetMyProfileRequest*, v1::GetMyProfileResponse*) override;
  grpc::Status GetProfile(grpc::ServerContext*, const v1::GetProfileRequest*, v1::GetProfileResponse*) override;
  grpc::Status UpdateProfile(grpc::ServerContext*, const v1::UpdateProfileRequest*, v1::UpdateProfileResponse*) override;
  grpc::Status SetPlazaId(grpc::ServerContext*, const v1::SetPlazaIdRequest*, v1::SetPlazaIdResponse*) override;
  grpc::Status UpdatePrivacySettings(grpc::ServerContext*, const v1::UpdatePrivacySettingsRequest*, v1::UpdatePrivacySettingsResponse*) override;
  grpc::Status SearchUser(grpc::ServerContext*, const v1::SearchUserRequest*, v1::SearchUserResponse*) override;
  grpc::Status SendFriendRequest(grpc::ServerContext*, const v1::SendFriendRequestRequest*, v1::SendFriendRequestResponse*) override;
  grpc::Status ListFriendRequests(grpc::ServerContext*, const v1::ListFriendRequestsRequest*, v1::ListFriendRequestsResponse*) override;
  grpc::Status AcceptFriendRequest(grpc::ServerContext*, const v1::AcceptFriendRequestRequest*, v1::AcceptFriendRequestResponse*) override;
  grpc::Status DeclineFriendRequest(grpc::ServerContext*, const v1::DeclineFriendRequestRequest*, v1::DeclineFriendRequestResponse*) override;
  grpc::Status RemoveFriend(grpc::ServerContext*, const v1::RemoveFriendRequest*, v1::RemoveFriendResponse*) override;
  grpc::Status ListFriends(grpc::ServerContext*, const v1::ListFriendsRequest*, v1::ListFriendsResponse*) override;
  grpc::Status SetFriendRemark(grpc::ServerContext*, const v1::SetFriendRemarkRequest*, v1::SetFriendRemarkResponse*) override;
  grpc::Status BlockUser(grpc::ServerContext*, const v1::BlockUserRequest*, v1::BlockUserResponse*) override;
  grpc::Status UnblockUser(grpc::ServerContext*, const v1::UnblockUserRequest*, v1::UnblockUserResponse*) override;
  grpc::Status ListBlockedUsers(grpc::ServerContext*, const v1::ListBlockedUsersRequest*, v1::ListBlockedUsersResponse*) override;
  grpc::Status CreateTag(grpc::ServerContext*, const v1::CreateTagRequest*, v1::CreateTagResponse*) override;
  grpc::Status UpdateTag(grpc::ServerContext*, const v1::UpdateTagRequest*, v1::UpdateTagResponse*) override;
  grpc::Status DeleteTag(grpc::ServerContext*, const v1::DeleteTagRequest*, v1::DeleteTagResponse*) override;
  grpc::Status ListTags(grpc::ServerContext*, const v1::ListTagsRequest*, v1::ListTagsResponse*) override;
  grpc::Status DiscoverContacts(grpc::ServerContext*, const v1::DiscoverContactsRequest*, v1::DiscoverContactsResponse*) override;
  grpc::Status CreateAddFriendQrCode(grpc::ServerContext*, const v1::CreateAddFriendQrCodeRequest*, v1::CreateAddFriendQrCodeResponse*) override;
  grpc::Status RedeemAddFriendQrCode(grpc::ServerContext*, const v1::RedeemAddFriendQrCodeRequest*, v1::RedeemAddFriendQrCodeResponse*) override;

 private:
  absl::Status Limit(const redis::RateLimit& limit, const std::string& subject);
  absl::StatusOr<v1::SessionTokens> OpenSession(int64_t user_id, const v1::Device& device);
  v1::SessionTokens MintAccess(int64_t user_id, const std::string& device_id, int64_t session_id);
  // Tells every service at once, then the user's devices; on failure only logs, as the
  // revocation mirror repairs it. The sessions are all `user_id`'s.
  void PublishRevocations(int64_t user_id, const std::vector<int64_t>& session_ids);
  absl::Status CheckSessionActive(const rpc::Caller& caller);
  absl::StatusOr<FriendRequestResult> RequestFriendship(const rpc::Caller& caller, int64_t user_id,
                                                        const std::string& greeting,
                                                        v1::FriendRequestSource source);

  IdentityDependencies deps_;
  IdentityOptions options_;
};

// Answers peers inside the cluster; never routed by the gateway.
class InternalService final : public v1::InternalService::Service {
 public:
  explicit InternalService(IdentityStore& store) : store_(store) {}

  grpc::Status CheckFriendship(grpc::ServerContext*, const v1::CheckFriendshipRequest*, v1::CheckFriendshipResponse*) override;
  grpc::Status GetFriendIds(grpc::ServerContext*, const v1::GetFriendIdsRequest*, v1::GetFriendIdsResponse*) override;
  grpc::Status BatchGetProfiles(grpc::ServerContext*, const v1::BatchGetProfilesRequest*, v1::BatchGetProfilesResponse*) override;

 private:
  IdentityStore& store_;
};

}  // namespace plaza::identity
