#include "services/identity/identity_service.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

#include "plaza/core/status.h"
#include "plaza/core/text.h"
#include "services/identity/phone.h"
#include "services/identity/rules.h"

namespace plaza::identity {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

// Abuse limits. Codes cost money and reveal little, logins and searches can enumerate accounts.
const redis::RateLimit kCodePerPhone{"code-phone", 1, minutes(1)};
const redis::RateLimit kCodePerPhoneDaily{"code-phone-day", 10, hours(24)};
const redis::RateLimit kCodePerIp{"code-ip", 20, hours(1)};
const redis::RateLimit kLoginPerIp{"login-ip", 60, minutes(1)};
const redis::RateLimit kPasswordPerPhone{"password-phone", 10, minutes(15)};
const redis::RateLimit kSearchPerUser{"search-user", 60, minutes(1)};
const redis::RateLimit kFriendRequestsPerUser{"friend-request-user", 60, hours(1)};
const redis::RateLimit kDiscoveryPerUser{"discover-user", 10, hours(1)};

constexpr size_t kMaxRefreshTokenBytes = 128;
constexpr int kMaxDiscoveryHashes = 1000;
constexpr int kMaxTagMembers = 5000;
constexpr int kMaxBatchProfiles = 500;

absl::Status ValidateUserId(int64_t user_id) {
  if (user_id <= 0) return InvalidArgument("USER_ID_INVALID", "user_id must be a positive id");
  return absl::OkStatus();
}

absl::Status ValidateOtherUser(const rpc::Caller& caller, int64_t user_id) {
  PLAZA_RETURN_IF_ERROR(ValidateUserId(user_id));
  if (user_id == caller.user_id) {
    return InvalidArgument("CANNOT_TARGET_SELF", "that operation needs another user");
  }
  return absl::OkStatus();
}

absl::Status ValidateTag(const std::string& name,
                         const google::protobuf::RepeatedField<int64_t>& ids,
                         std::vector<int64_t>& members) {
  PLAZA_RETURN_IF_ERROR(core::ValidateText("tag_name", name, 1, 32));
  if (ids.size() > kMaxTagMembers) {
    return InvalidArgument("TAG_TOO_LARGE", "a tag holds at most 5000 friends");
  }
  std::set<int64_t> unique(ids.begin(), ids.end());
  for (int64_t id : unique) PLAZA_RETURN_IF_ERROR(ValidateUserId(id));
  members.assign(unique.begin(), unique.end());
  return absl::OkStatus();
}

}  // namespace

IdentityService::IdentityService(IdentityDependencies deps, IdentityOptions options)
    : deps_(deps), options_(options) {}

absl::Status IdentityService::Limit(const redis::RateLimit& limit, const std::string& subject) {
  PLAZA_ASSIGN_OR_RETURN(auto decision, deps_.limiter.Hit(limit, subject));
  if (!decision.allowed) {
    auto wait = std::chrono::duration_cast<seconds>(decision.retry_after).count() + 1;
    return ResourceExhausted("RATE_LIMITED",
                             "too many requests; retry in " + std::to_string(wait) + " s");
  }
  return absl::OkStatus();
}

v1::SessionTokens IdentityService::MintAccess(int64_t user_id, const std::string& device_id,
                                              int64_t session_id) {
  auth::Claims claims;
  claims.kind = auth::TokenKind::kAccess;
  claims.user_id = user_id;
  claims.device_id = device_id;
  claims.session_id = session_id;
  claims.issued_at = deps_.clock.Now();
  claims.expires_at = claims.issued_at + options_.access_token_ttl;
  v1::SessionTokens tokens;
  tokens.set_access_token(deps_.signer.Sign(claims));
  SetTimestamp(tokens.mutable_access_token_expire_time(), claims.expires_at);
  tokens.set_session_id(session_id);
  return tokens;
}

absl::StatusOr<v1::SessionTokens> IdentityService::OpenSession(int64_t user_id,
                                                               const v1::Device& device) {
  std::string refresh_token = auth::RandomToken(32);
  PLAZA_ASSIGN_OR_RETURN(auto session,
                         deps_.store.CreateSession(user_id, device, auth::Sha256Hex(refresh_token),
                                                   deps_.clock.Now() + options_.refresh_token_ttl));
  // The device's earlier session is over.
  PublishRevocations(user_id, session.replaced_session_ids);
  v1::SessionTokens tokens = MintAccess(user_id, device.device_id(), session.session_id);
  tokens.set_refresh_token(refresh_token);
  return tokens;
}

void IdentityService::PublishRevocations(int64_t user_id, const std::vector<int64_t>& session_ids) {
  if (auto status = deps_.revocations.Revoke(session_ids); !status.ok()) {
    spdlog::warn("could not publish {} session revocations now; the mirror will: {}",
                 session_ids.size(), status.ToString());
    // The push goes through the same Redis and would only wait for it again.
    return;
  }
  deps_.notifier.SessionsRevoked(user_id, session_ids);
}

absl::Status IdentityService::CheckSessionActive(const rpc::Caller& caller) {
  PLAZA_ASSIGN_OR_RETURN(bool active,
                         deps_.store.IsSessionActive(caller.user_id, caller.session_id));
  if (!active) return Unauthenticated("SESSION_REVOKED", "this session has ended; log in again");
  return absl::OkStatus();
}

grpc::Status IdentityService::RequestCode(grpc::ServerContext* context,
                                          const v1::RequestCodeRequest* request,
                                          v1::RequestCodeResponse* response) {
  return rpc::Handle(context, [&]() -> absl::Status {
    PLAZA_ASSIGN_OR_RETURN(std::string phone, NormalizePhone(request->phone()));
    PLAZA_RETURN_IF_ERROR(Limit(kCodePerIp, rpc::ClientIpOf(*context)));
    PLAZA_RETURN_IF_ERROR(Limit(kCodePerPhone, phone));
    PLAZA_RETURN_IF_ERROR(Limit(kCodePerPhoneDaily, phone));
    std::string code = NewLoginCode();
    PLAZA_RETURN_IF_ERROR(deps_.store.SaveLoginCode(phone, LoginCodeHash(phone, code),
                                                    deps_.clock.Now() + kCodeLifetime));
    PLAZA_RETURN_IF_ERROR(deps_.sms.SendLoginCode(phone, code));
    response->set_expires_in_seconds(static_cast<int32_t>(seconds(kCodeLifetime).count()));
    response->set_resend_after_seconds(
        static_cast<int32_t>(std::chrono::duration_cast<seconds>(kCodePerPhone.window).count()));
    return absl::OkStatus();
  });
}

grpc::Status IdentityService::Register(grpc::ServerContext* context,
                                       const v1::RegisterRequest* request,
                                       v1::RegisterResponse* response) {
  return rpc::Handle(context, [&]() -> absl::Status {
    PLAZA_ASSIGN_OR_RETURN(std::string phone, NormalizePhone(request->phone()));
    PLAZA_RETURN_IF_ERROR(ValidateCodeFormat(request->code()));
    PLAZA_RETURN_IF_ERROR(ValidateDisplayName(request->display_name()));
    PLAZA_RETURN_IF_ERROR(ValidateDevice(request->device()));
    if (!request->password().empty()) PLAZA_RETURN_IF_ERROR(ValidatePassword(request->password()));
    PLAZA_RETURN_IF_ERROR(Limit(kLoginPerIp, rpc::ClientIpOf(*context)));
    // Checked before the code is spent, so a mistaken Register leaves the code for Login.
    PLAZA_ASSIGN_OR_RETURN(auto existing, deps_.store.FindByPhone(phone));
    if (existing) {
      return AlreadyExists("PHONE_TAKEN",
                           "this phone number already has an account; log in instead");
    }
    PLAZA_ASSIGN_OR_RETURN(CodeVerdict verdict, deps_.store.ConsumeLoginCode(
                                                    phone, LoginCodeHash(phone, request->code())));
    PLAZA_RETURN_IF_ERROR(CodeVerdictError(verdict));
    NewAccount account{phone, PhoneHash(phone), request->display_name(), std::nullopt};
    if (!request->password().empty()) {
      PLAZA_ASSIGN_OR_RETURN(account.password_hash,
                             auth::HashSecret(request->password(), options_.password_strength));
    }
    PLAZA_ASSIGN_OR_RETURN(Account created, deps_.store.CreateAccount(account));
    PLAZA_ASSIGN_OR_RETURN(*response->mutable_tokens(),
                           OpenSession(created.profile.user_id(), request->device()));
    *response->mutable_profile() = created.profile;
    return absl::OkStatus();
  });
}

grpc::Status IdentityService::Login(grpc::ServerContext* context, const v1::LoginRequest* request,
                                    v1::LoginResponse* response) {
  return rpc::Handle(context, [&]() -> absl::Status {
    PLAZA_ASSIGN_OR_RETURN(std::string phone, NormalizePhone(request->phone()));
    PLAZA_RETURN_IF_ERROR(ValidateDevice(request->device()));
    switch (request->credential_case()) {
      case v1::LoginRequest::kCode:
        PLAZA_RETURN_IF_ERROR(ValidateCodeFormat(request->code()));
        break;
      case v1::LoginRequest::kPassword:
        PLAZA_RETURN_IF_ERROR(core::ValidateText("password", request->password(), 1, 128));
        break;
      case v1::LoginRequest::CREDENTIAL_NOT_SET:
        return InvalidArgument("CREDENTIAL_MISSING", "give either a code or a password");
    }
    PLAZA_RETURN_IF_ERROR(Limit(kLoginPerIp, rpc::ClientIpOf(*context)));
    PLAZA_ASSIGN_OR_RETURN(auto account, deps_.store.FindByPhone(phone));
    if (!account)
      return NotFound("ACCOUNT_NOT_FOUND", "no account uses this phone number; register first");
    if (request->credential_case() == v1::LoginRequest::kCode) {
      PLAZA_ASSIGN_OR_RETURN(
          CodeVerdict verdict,
          deps_.store.ConsumeLoginCode(phone, LoginCodeHash(phone, request->code())));
      PLAZA_RETURN_IF_ERROR(CodeVerdictError(verdict));
    } else {
      PLAZA_RETURN_IF_ERROR(Limit(kPasswordPerPhone, phone));
      if (!account->password_hash) {
        return FailedPrecondition("PASSWORD_NOT_SET",
                                  "this account has no password; log in with a code");
      }
      if (!auth::VerifySecret(*account->password_hash, request->password())) {
        return Unauthenticated("WRONG_PASSWORD", "the phone number or password is wrong");
      }
    }
    PLAZA_ASSIGN_OR_RETURN(*response->mutable_tokens(),
                           OpenSession(account->profile.user_id(), request->device()));
    *response->mutable_profile() = account->profile;
    return absl::OkStatus();
  });
}

grpc::Status IdentityService::RefreshSession(grpc::ServerContext* context,
                                             const v1::RefreshSessionRequest* request,
                                             v1::RefreshSessionResponse* response) {
  return rpc::Handle(context, [&]() -> absl::Status {
    const std::string& presented = request->refresh_token();
    if (presented.empty() || presented.size() > kMaxRefreshTokenBytes) {
      return InvalidArgument("REFRESH_TOKEN_INVALID", "refresh_token is missing or malformed");
    }
    std::string next = auth::RandomToken(32);
    PLAZA_ASSIGN_OR_RETURN(
        RefreshResult result,
        deps_.store.RotateRefreshToken(auth::Sha256Hex(presented), auth::Sha256Hex(next),
                                       deps_.clock.Now() + options_.refresh_token_ttl));
    switch (result.outcome) {
      case RefreshOutcome::kRotated:
        break;
      case RefreshOutcome::kReused:
        spdlog::warn("refresh token reused; session {} of user {} revoked",
                     result.session.session_id, result.session.user_id);
        PublishRevocations(result.session.user_id, {result.session.session_id});
        return Unauthenticated("REFRESH_TOKEN_REUSED",
                               "this refresh token was already used; the session has been ended");
      case RefreshOutcome::kUnknown:
        return Unauthenticated("REFRESH_TOKEN_INVALID",
                               "the refresh token is not valid; log in again");
    }
    *response->mutable_tokens() =
        MintAccess(result.session.user_id, result.session.device_id, result.session.session_id);
    response->mutable_tokens()->set_refresh_token(next);
    return absl::OkStatus();
  });
}

grpc::Status IdentityService::Logout(grpc::ServerContext* context, const v1::LogoutRequest* request,
                                     v1::LogoutResponse*) {
  return rpc::HandleAuthenticated(context, [&](const rpc::Caller& caller) -> absl::Status {
    if (request->session_id() < 0)
      return InvalidArgument("SESSION_ID_INVALID", "session_id must not be negative");
    int64_t session_id = request->session_id() == 0 ? caller.session_id : request->session_id();
    PLAZA_RETURN_IF_ERROR(deps_.store.RevokeSession(caller.user_id, session_id));
    PublishRevocations(caller.user_id, {session_id});
    return absl::OkStatus();
  });
}

grpc::Status IdentityService::LogoutOtherSessions(grpc::ServerContext* context,
                                                  const v1::LogoutOtherSessionsRequest*,
                                                  v1::LogoutOtherSessionsResponse* response) {
  return rpc::HandleAuthenticated(context, [&](const rpc::Caller& caller) -> absl::Status {
    PLAZA_RETURN_IF_ERROR(CheckSessionActive(caller));
    PLAZA_ASSIGN_OR_RETURN(auto ended,
                           deps_.store.RevokeOtherSessions(caller.user_id, caller.session_id));
    PublishRevocations(caller.user_id, ended);
    response->set_ended_count(static_cast<int32_t>(ended.size()));
    return absl::OkStatus();
  });
}

grpc::Status IdentityService::ListSessions(grpc::ServerContext* context,
                                           const v1::ListSessionsRequest*,
                                           v1::ListSessionsResponse* response) {
  return rpc::HandleAuthenticated(context, [&](const rpc::Caller& caller) -> absl::Status {
    PLAZA_RETURN_IF_ERROR(CheckSessionActive(caller));
    PLAZA_ASSIGN_OR_RETURN(auto sessions, deps_.store.ListSessions(caller.user_id));
    for (auto& session : sessions) {
      session.set_current(session.session_id() == caller.session_id);
      *response->add_sessions() = std::move(session);
    }
    return absl::OkStatus();
  });
}

grpc::Status IdentityService::SetPassword(grpc::ServerContext* context,
                                          const v1::SetPasswordRequest* request,
                                          v1::SetPasswordResponse*) {
  return rpc::HandleAuthenticated(context, [&](const rpc::Caller& caller) -> absl::Status {
    PLAZA_RETURN_IF_ERROR(ValidatePassword(request->new_password()));
    PLAZA_RETURN_IF_ERROR(CheckSessionActive(caller));
    PLAZA_ASSIGN_OR_RETURN(Account account, deps_.store.GetAccount(caller.user_id));
    if (account.password_hash) {
      PLAZA_RETURN_IF_ERROR(Limit(kPasswordPerPhone, account.phone));
      if (!auth::VerifySecret(*account.password_hash, request->current_password())) {
        return Unauthenticated("WRONG_PASSWORD", "the current password is wrong");
      }
    }
    PLAZA_ASSIGN_OR_RETURN(std::string hash,
                           auth::HashSecret(request->new_password(), options_.password_strength));
    return deps_.store.SetPasswordHash(caller.user_id, hash);
  });
}

grpc::Status IdentityService::GetMyProfile(grpc::ServerContext* context,
                                           const v1::GetMyProfileRequest*,
                                           v1::GetMyProfileResponse* response) {
  return rpc::HandleAuthenticated(context, [&](const rpc::Caller& caller) -> absl::Status {
    PLAZA_ASSIGN_OR_RETURN(Account account, deps_.store.GetAccount(caller.user_id));
    *response->mutable_profile() = account.profile;
    response->set_phone(account.phone);
    *response->mutable_privacy() = account.privacy;
    response->set_has_password(account.password_hash.has_value());
    if (account.plaza_id_changed_at) {
      auto next = *account.plaza_id_changed_at + kPlazaIdChangeInterval;
      if (next > deps_.clock.Now())
        SetTimestamp(response->mutable_plaza_id_next_change_time(), next);
    }
    return absl::OkStatus();
  });
}

grpc::Status IdentityService::GetProfile(grpc::ServerContext* context,
                                         const v1::GetProfileRequest* request,
                                         v1::GetProfileResponse* response) {
  return rpc::HandleAuthenticated(context, [&](const rpc::Caller& caller) -> absl::Status {
    PLAZA_RETURN_IF_ERROR(ValidateUserId(request->user_id()));
    PLAZA_ASSIGN_OR_RETURN(Relation relation,
                           deps_.store.GetRelation(caller.user_id, request->user_id()));
    if (relation.other_blocked_user) return NotFound("USER_NOT_FOUND", "no such user");
    PLAZA_ASSIGN_OR_RETURN(Account account, deps_.store.GetAccount(request->user_id()));
    *response->mutable_profile() = account.profile;
    if (relation.are_friends) {
      PLAZA_ASSIGN_OR_RETURN(v1::Friend friend_,
                             deps_.store.GetFriend(caller.user_id, request->user_id()));
      response->set_is_friend(true);
      response->set_remark(friend_.remark());
    }
    return absl::OkStatus();
  });
}

grpc::Status IdentityService::UpdateProfile(grpc::ServerContext* context,
                                            const v1::UpdateProfileRequest* request,
                                            v1::UpdateProfileResponse* response) {
  return rpc::HandleAuthenticated(context, [&](const rpc::Caller& caller) -> absl::Status {
    ProfilePatch patch;
    if (request->has_display_name()) {
      PLAZA_RETURN_IF_ERROR(ValidateDisplayName(request->display_name()));
      patch.display_name = request->display_name();
    }
    if (request->has_avatar()) {
      PLAZA_RETURN_IF_ERROR(core::ValidateText("avatar", request->avatar(), 0, 256));
      patch.avatar = request->avatar();
    }
    if (request->has_region()) {
      PLAZA_RETURN_IF_ERROR(core::ValidateText("region", request->region(), 0, 64));
      patch.region = request->region();
    }
    if (request->has_signature()) {
      PLAZA_RETURN_IF_ERROR(core::ValidateText("signature", request->signature(), 0, 100));
      patch.signature = request->signature();
    }
    if (request->has_gender()) {
      if (!v1::Gender_IsValid(request->gender())) {
        return InvalidArgument("GENDER_INVALID", "gender is not a known value");
      }
      patch.gender = request->gender();
    }
    PLAZA_ASSIGN_OR_RETURN(Account account, deps_.store.UpdateProfile(caller.user_id, patch));
    *response->mutable_profile() = account.profile;
    return absl::OkStatus();
  });
}

grpc::Status IdentityService::SetPlazaId(grpc::ServerContext* context,
                                         const v1::SetPlazaIdRequest* request,
                                         v1::SetPlazaIdResponse* response) {
  return rpc::HandleAuthenticated(context, [&](const rpc::Caller& caller) -> absl::Status {
    PLAZA_RETURN_IF_ERROR(ValidatePlazaId(request->plaza_id()));
    PLAZA_ASSIGN_OR_RETURN(Account account,
                           deps_.store.SetPlazaId(caller.user_id, request->plaza_id()));
    *response->mutable_profile() = account.profile;
    SetTimestamp(response->mutable_next_change_time(),
                 account.plaza_id_changed_at.value_or(deps_.clock.Now()) + kPlazaIdChangeInterval);
    return absl::OkStatus();
  });
}

grpc::Status IdentityService::UpdatePrivacySettings(grpc::ServerContext* context,
                                                    const v1::UpdatePrivacySettingsRequest* request,
                                                    v1::UpdatePrivacySettingsResponse* response) {
  return rpc::HandleAuthenticated(context, [&](const rpc::Caller& caller) -> absl::Status {
    if (!request->has_privacy()) return InvalidArgument("PRIVACY_MISSING", "privacy must be set");
    PLAZA_ASSIGN_OR_RETURN(*response->mutable_privacy(),
                           deps_.store.SetPrivacy(caller.user_id, request->privacy()));
    return absl::OkStatus();
  });
}

grpc::Status IdentityService::SearchUser(grpc::ServerContext* context,
                                         const v1::SearchUserRequest* request,
                                         v1::SearchUserResponse* response) {
  return rpc::HandleAuthenticated(context, [&](const rpc::Caller& caller) -> absl::Status {
    const std::string& query = request->query();
    if (query.empty() || query.size() > 32) {
      return InvalidArgument("QUERY_INVALID", "query must be a Plaza ID or a phone number");
    }
    PLAZA_RETURN_IF_ERROR(Limit(kSearchPerUser, std::to_string(caller.user_id)));
    // One answer for "absent" and "hidden", so a search never reveals who is on Plaza.
    auto hidden = NotFound("USER_NOT_FOUND", "no user matches");
    std::optional<Account> found;
    bool by_phone = query.front() == '+' || query.starts_with("00");
    if (by_phone) {
      PLAZA_ASSIGN_OR_RETURN(std::string phone, NormalizePhone(query));
      PLAZA_ASSIGN_OR_RETURN(found, deps_.store.FindByPhone(phone));
      if (found && !found->privacy.findable_by_phone()) return hidden;
    } else {
      if (!ValidatePlazaId(query).ok()) return hidden;
      PLAZA_ASSIGN_OR_RETURN(found, deps_.store.FindByPlazaId(query));
      if (found && !found->privacy.findable_by_plaza_id()) return hidden;
    }
    if (!found) return hidden;
    PLAZA_ASSIGN_OR_RETURN(Relation relation,
                           deps_.store.GetRelation(caller.user_id, found->profile.user_id()));
    if (relation.other_blocked_user) return hidden;
    *response->mutable_profile() = found->profile;
    response->set_is_friend(relation.are_friends);
    return absl::OkStatus();
  });
}

absl::StatusOr<FriendRequestResult> IdentityService::RequestFriendship(
    const rpc::Caller& caller, int64_t user_id, const std::string& greeting,
    v1::FriendRequestSource source) {
  PLAZA_RETURN_IF_ERROR(ValidateOtherUser(caller, user_id));
  PLAZA_RETURN_IF_ERROR(core::ValidateText("greeting", greeting, 0, 100));
  if (!v1::FriendRequestSource_IsValid(source)) {
    return InvalidArgument("SOURCE_INVALID", "source is not a known value");
  }
  PLAZA_RETURN_IF_ERROR(Limit(kFriendRequestsPerUser, std::to_string(caller.user_id)));
  PLAZA_ASSIGN_OR_RETURN(FriendRequestResult result,
                         deps_.store.SendFriendRequest(caller.user_id, user_id, greeting, source));
  if (result.became_friends) {
    deps_.notifier.FriendAdded(caller.user_id, user_id);
  } else {
    deps_.notifier.FriendRequestReceived(user_id, result.request.request_id(), caller.user_id);
  }
  return result;
}

grpc::Status IdentityService::SendFriendRequest(grpc::ServerContext* context,
                                                const v1::SendFriendRequestRequest* request,
                                                v1::SendFriendRequestResponse* response) {
  return rpc::HandleAuthenticated(context, [&](const rpc::Caller& caller) -> absl::Status {
    PLAZA_ASSIGN_OR_RETURN(
        FriendRequestResult result,
        RequestFriendship(caller, request->user_id(), request->greeting(), request->source()));
    *response->mutable_request() = std::move(result.request);
    response->set_became_friends(result.became_friends);
    return absl::OkStatus();
  });
}

grpc::Status IdentityService::ListFriendRequests(grpc::ServerContext* context,
                                                 const v1::ListFriendRequestsRequest* request,
                                                 v1::ListFriendRequestsResponse* response) {
  return rpc::HandleAuthenticated(context, [&](const rpc::Caller& caller) -> absl::Status {
    if (request->direction() != v1::FRIEND_REQUEST_DIRECTION_INCOMING &&
        request->direction() != v1::FRIEND_REQUEST_DIRECTION_OUTGOING) {
      return InvalidArgument("DIRECTION_INVALID", "direction must be INCOMING or OUTGOING");
    }
    int32_t page_size = 0;
    PLAZA_RETURN_IF_ERROR(core::ResolvePageSize(request->page_size(), 20, 100, page_size));
    int64_t before = 0;
    if (!request->page_token().empty())
      PLAZA_RETURN_IF_ERROR(core::DecodePageToken(request->page_token(), before));
    PLAZA_ASSIGN_OR_RETURN(
        auto requests, deps_.store.ListFriendRequests(caller.user_id, request->direction(), before,
                                                      page_size + 1));
    response->set_next_page_token(core::TakePage(
        requests, page_size, [](const v1::FriendRequest& r) { return r.request_id(); }));
    for (auto& item : requests) *response->add_requests() = std::move(item);
    return absl::OkStatus();
  });
}

grpc::Status IdentityService::AcceptFriendRequest(grpc::ServerContext* context,
                                                  const v1::AcceptFriendRequestRequest* request,
                                                  v1::AcceptFriendRequestResponse* response) {
  return rpc::HandleAuthenticated(context, [&](const rpc::Caller& caller) -> absl::Status {
    if (request->request_id() <= 0)
      return InvalidArgument("REQUEST_ID_INVALID", "request_id must be positive");
    PLAZA_RETURN_IF_ERROR(core::ValidateText("remark", request->remark(), 0, 32));
    PLAZA_ASSIGN_OR_RETURN(
        *response->mutable_friend_(),
        deps_.store.AcceptFriendRequest(caller.user_id, request->request_id(), request->remark()));
    deps_.notifier.FriendAdded(caller.user_id, response->friend_().profile().user_id());
    return absl::OkStatus();
  });
}

grpc::Status IdentityService::DeclineFriendRequest(grpc::ServerContext* context,
                                                   const v1::DeclineFriendRequestRequest* request,
                                                   v1::DeclineFriendRequestResponse*) {
  return rpc::HandleAuthenticated(context, [&](const rpc::Caller& caller) -> absl::Status {
    if (request->request_id() <= 0)
      return InvalidArgument("REQUEST_ID_INVALID", "request_id must be positive");
    return deps_.store.DeclineFriendRequest(caller.user_id, request->request_id());
  });
}

grpc::Status IdentityService::RemoveFriend(grpc::ServerContext* context,
                                           const v1::RemoveFriendRequest* request,
                                           v1::RemoveFriendResponse*) {
  return rpc::HandleAuthenticated(context, [&](const rpc::Caller& caller) -> absl::Status {
    PLAZA_RETURN_IF_ERROR(ValidateOtherUser(caller, request->user_id()));
    PLAZA_RETURN_IF_ERROR(deps_.store.RemoveFriend(caller.user_id, request->user_id()));
    deps_.notifier.RelationNarrowed(caller.user_id, request->user_id());
    return absl::OkStatus();
  });
}

grpc::Status IdentityService::ListFriends(grpc::ServerContext* context,
                                          const v1::ListFriendsRequest* request,
                                          v1::ListFriendsResponse* response) {
  return rpc::HandleAuthenticated(context, [&](const rpc::Caller& caller) -> absl::Status {
    int32_t page_size = 0;
    PLAZA_RETURN_IF_ERROR(core::ResolvePageSize(request->page_size(), 100, 500, page_size));
    int64_t after = 0;
    if (!request->page_token().empty())
      PLAZA_RETURN_IF_ERROR(core::DecodePageToken(request->page_token(), after));
    PLAZA_ASSIGN_OR_RETURN(auto friends,
                           deps_.store.ListFriends(caller.user_id, after, page_size + 1));
    response->set_next_page_token(core::TakePage(
        friends, page_size, [](const v1::Friend& f) { return f.profile().user_id(); }));
    for (auto& item : friends) *response->add_friends() = std::move(item);
    return absl::OkStatus();
  });
}

grpc::Status IdentityService::SetFriendRemark(grpc::ServerContext* context,
                                              const v1::SetFriendRemarkRequest* request,
                                              v1::SetFriendRemarkResponse* response) {
  return rpc::HandleAuthenticated(context, [&](const rpc::Caller& caller) -> absl::Status {
    PLAZA_RETURN_IF_ERROR(ValidateOtherUser(caller, request->user_id()));
    PLAZA_RETURN_IF_ERROR(core::ValidateText("remark", request->remark(), 0, 32));
    PLAZA_ASSIGN_OR_RETURN(
        *response->mutable_friend_(),
        deps_.store.SetRemark(caller.user_id, request->user_id(), request->remark()));
    return absl::OkStatus();
  });
}

grpc::Status IdentityService::BlockUser(grpc::ServerContext* context,
                                        const v1::BlockUserRequest* request,
                                        v1::BlockUserResponse*) {
  return rpc::HandleAuthenticated(context, [&](const rpc::Caller& caller) -> absl::Status {
    PLAZA_RETURN_IF_ERROR(ValidateOtherUser(caller, request->user_id()));
    PLAZA_RETURN_IF_ERROR(deps_.store.Block(caller.user_id, request->user_id()));
    deps_.notifier.RelationNarrowed(caller.user_id, request->user_id());
    return absl::OkStatus();
  });
}

grpc::Status IdentityService::UnblockUser(grpc::ServerContext* context,
                                          const v1::UnblockUserRequest* request,
                                          v1::UnblockUserResponse*) {
  return rpc::HandleAuthenticated(context, [&](const rpc::Caller& caller) -> absl::Status {
    PLAZA_RETURN_IF_ERROR(ValidateOtherUser(caller, request->user_id()));
    return deps_.store.Unblock(caller.user_id, request->user_id());
  });
}

grpc::Status IdentityService::ListBlockedUsers(grpc::ServerContext* context,
                                               const v1::ListBlockedUsersRequest* request,
                                               v1::ListBlockedUsersResponse* response) {
  return rpc::HandleAuthenticated(context, [&](const rpc::Caller& caller) -> absl::Status {
    int32_t page_size = 0;
    PLAZA_RETURN_IF_ERROR(core::ResolvePageSize(request->page_size(), 100, 500, page_size));
    int64_t after = 0;
    if (!request->page_token().empty())
      PLAZA_RETURN_IF_ERROR(core::DecodePageToken(request->page_token(), after));
    PLAZA_ASSIGN_OR_RETURN(auto blocked,
                           deps_.store.ListBlocked(caller.user_id, after, page_size + 1));
    response->set_next_page_token(
        core::TakePage(blocked, page_size, [](const v1::Profile& p) { return p.user_id(); }));
    for (auto& item : blocked) *response->add_profiles() = std::move(item);
    return absl::OkStatus();
  });
}

grpc::Status IdentityService::CreateTag(grpc::ServerContext* context,
                                        const v1::CreateTagRequest* request,
                                        v1::CreateTagResponse* response) {
  return rpc::HandleAuthenticated(context, [&](const rpc::Caller& caller) -> absl::Status {
    std::vector<int64_t> members;
    PLAZA_RETURN_IF_ERROR(ValidateTag(request->name(), request->member_ids(), members));
    PLAZA_ASSIGN_OR_RETURN(*response->mutable_tag(),
                           deps_.store.CreateTag(caller.user_id, request->name(), members));
    return absl::OkStatus();
  });
}

grpc::Status IdentityService::UpdateTag(grpc::ServerContext* context,
                                        const v1::UpdateTagRequest* request,
                                        v1::UpdateTagResponse* response) {
  return rpc::HandleAuthenticated(context, [&](const rpc::Caller& caller) -> absl::Status {
    if (request->tag_id() <= 0) return InvalidArgument("TAG_ID_INVALID", "tag_id must be positive");
    std::vector<int64_t> members;
    PLAZA_RETURN_IF_ERROR(ValidateTag(request->name(), request->member_ids(), members));
    PLAZA_ASSIGN_OR_RETURN(
        *response->mutable_tag(),
        deps_.store.UpdateTag(caller.user_id, request->tag_id(), request->name(), members));
    return absl::OkStatus();
  });
}

grpc::Status IdentityService::DeleteTag(grpc::ServerContext* context,
                                        const v1::DeleteTagRequest* request,
                                        v1::DeleteTagResponse*) {
  return rpc::HandleAuthenticated(context, [&](const rpc::Caller& caller) -> absl::Status {
    if (request->tag_id() <= 0) return InvalidArgument("TAG_ID_INVALID", "tag_id must be positive");
    return deps_.store.DeleteTag(caller.user_id, request->tag_id());
  });
}

grpc::Status IdentityService::ListTags(grpc::ServerContext* context, const v1::ListTagsRequest*,
                                       v1::ListTagsResponse* response) {
  return rpc::HandleAuthenticated(context, [&](const rpc::Caller& caller) -> absl::Status {
    PLAZA_ASSIGN_OR_RETURN(auto tags, deps_.store.ListTags(caller.user_id));
    for (auto& tag : tags) *response->add_tags() = std::move(tag);
    return absl::OkStatus();
  });
}

grpc::Status IdentityService::DiscoverContacts(grpc::ServerContext* context,
                                               const v1::DiscoverContactsRequest* request,
                                               v1::DiscoverContactsResponse* response) {
  return rpc::HandleAuthenticated(context, [&](const rpc::Caller& caller) -> absl::Status {
    if (request->phone_hashes_size() > kMaxDiscoveryHashes) {
      return InvalidArgument("TOO_MANY_HASHES", "at most 1000 phone hashes per call");
    }
    std::vector<std::string> hashes;
    for (const auto& hash : request->phone_hashes()) {
      if (hash.size() != 64 || hash.find_first_not_of("0123456789abcdef") != std::string::npos) {
        return InvalidArgument("PHONE_HASH_INVALID",
                               "phone hashes are 64 lower-case hex characters");
      }
      hashes.push_back(hash);
    }
    PLAZA_RETURN_IF_ERROR(Limit(kDiscoveryPerUser, std::to_string(caller.user_id)));
    PLAZA_ASSIGN_OR_RETURN(auto contacts, deps_.store.DiscoverByPhoneHash(caller.user_id, hashes));
    for (auto& contact : contacts) *response->add_contacts() = std::move(contact);
    return absl::OkStatus();
  });
}

grpc::Status IdentityService::CreateAddFriendQrCode(grpc::ServerContext* context,
                                                    const v1::CreateAddFriendQrCodeRequest*,
                                                    v1::CreateAddFriendQrCodeResponse* response) {
  return rpc::HandleAuthenticated(context, [&](const rpc::Caller& caller) -> absl::Status {
    auth::Claims claims;
    claims.kind = auth::TokenKind::kQrAddFriend;
    claims.user_id = caller.user_id;
    claims.issued_at = deps_.clock.Now();
    claims.expires_at = claims.issued_at + options_.qr_code_ttl;
    response->set_payload(deps_.signer.Sign(claims));
    SetTimestamp(response->mutable_expire_time(), claims.expires_at);
    return absl::OkStatus();
  });
}

grpc::Status IdentityService::RedeemAddFriendQrCode(grpc::ServerContext* context,
                                                    const v1::RedeemAddFriendQrCodeRequest* request,
                                                    v1::RedeemAddFriendQrCodeResponse* response) {
  return rpc::HandleAuthenticated(context, [&](const rpc::Caller& caller) -> absl::Status {
    auto claims = deps_.verifier.Verify(request->payload(), auth::TokenKind::kQrAddFriend);
    if (!claims.ok()) {
      if (ReasonOf(claims.status()) == auth::kTokenExpired) {
        return FailedPrecondition("QR_CODE_EXPIRED", "this QR code has expired; ask for a new one");
      }
      return InvalidArgument("QR_CODE_INVALID", "this is not a Plaza add-friend QR code");
    }
    PLAZA_ASSIGN_OR_RETURN(FriendRequestResult result,
                           RequestFriendship(caller, claims->user_id, request->greeting(),
                                             v1::FRIEND_REQUEST_SOURCE_QR_CODE));
    *response->mutable_request() = std::move(result.request);
    response->set_became_friends(result.became_friends);
    return absl::OkStatus();
  });
}

grpc::Status InternalService::CheckFriendship(grpc::ServerContext* context,
                                              const v1::CheckFriendshipRequest* request,
                                              v1::CheckFriendshipResponse* response) {
  return rpc::Handle(context, [&]() -> absl::Status {
    PLAZA_RETURN_IF_ERROR(ValidateUserId(request->user_id()));
    PLAZA_RETURN_IF_ERROR(ValidateUserId(request->other_user_id()));
    PLAZA_ASSIGN_OR_RETURN(Relation relation,
                           store_.GetRelation(request->user_id(), request->other_user_id()));
    response->set_are_friends(relation.are_friends);
    response->set_user_blocked_other(relation.user_blocked_other);
    response->set_other_blocked_user(relation.other_blocked_user);
    return absl::OkStatus();
  });
}

grpc::Status InternalService::GetFriendIds(grpc::ServerContext* context,
                                           const v1::GetFriendIdsRequest* request,
                                           v1::GetFriendIdsResponse* response) {
  return rpc::Handle(context, [&]() -> absl::Status {
    PLAZA_RETURN_IF_ERROR(ValidateUserId(request->user_id()));
    PLAZA_ASSIGN_OR_RETURN(auto friends, store_.FriendIdsWithTags(request->user_id()));
    for (auto& entry : friends) *response->add_friends() = std::move(entry);
    return absl::OkStatus();
  });
}

grpc::Status InternalService::BatchGetProfiles(grpc::ServerContext* context,
                                               const v1::BatchGetProfilesRequest* request,
                                               v1::BatchGetProfilesResponse* response) {
  return rpc::Handle(context, [&]() -> absl::Status {
    if (request->user_ids_size() > kMaxBatchProfiles) {
      return InvalidArgument("TOO_MANY_IDS", "at most 500 user ids per call");
    }
    std::vector<int64_t> ids(request->user_ids().begin(), request->user_ids().end());
    for (int64_t id : ids) PLAZA_RETURN_IF_ERROR(ValidateUserId(id));
    PLAZA_ASSIGN_OR_RETURN(auto profiles, store_.GetProfiles(ids));
    for (auto& profile : profiles) *response->add_profiles() = std::move(profile);
    return absl::OkStatus();
  });
}

}  // namespace plaza::identity
