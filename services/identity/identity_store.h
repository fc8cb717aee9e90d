#pragma once

// IdentityStore owns every SQL statement of the identity schema. Methods are thread-safe,
// run in their own transaction, and return statuses per libs/pg's mapping plus the domain
// reasons documented on each method.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "plaza/core/clock.h"
#include "plaza/core/ids.h"
#include "plaza/identity/v1/identity_service.pb.h"
#include "plaza/identity/v1/internal_service.pb.h"
#include "plaza/pg/pool.h"
#include "services/identity/rules.h"

namespace plaza::identity {

namespace v1 = plaza::identity::v1;

// An account as identity sees it: the public profile plus private state.
struct Account {
  v1::Profile profile;
  std::string phone;
  std::optional<core::TimePoint> plaza_id_changed_at;
  std::optional<std::string> password_hash;
  v1::PrivacySettings privacy;
};

struct NewAccount {
  std::string phone;
  std::string phone_hash;
  std::string display_name;
  std::optional<std::string> password_hash;
};

struct SessionInfo {
  int64_t session_id = 0;
  int64_t user_id = 0;
  std::string device_id;
};

struct NewSession {
  int64_t session_id = 0;
  std::vector<int64_t> replaced_session_ids;  // earlier sessions of the same device, now revoked
};

enum class RefreshOutcome { kRotated, kReused, kUnknown };
struct RefreshResult {
  RefreshOutcome outcome = RefreshOutcome::kUnknown;
  SessionInfo session;  // for kRotated, and for kReused (now revoked)
};

struct Relation {
  bool are_friends = false;
  bool user_blocked_other = false;
  bool other_blocked_user = false;
};

struct FriendRequestResult {
  v1::FriendRequest request;
  bool became_friends = false;
};

struct ProfilePatch {
  std::optional<std::string> display_name, avatar, region, signature;
  std::optional<v1::Gender> gender;
};

class IdentityStore {
 public:
  static constexpr int kMaxTags = 100;
  static constexpr int kMaxFriends = 10000;

  IdentityStore(pg::Pool& pool, core::IdGenerator& ids, const core::Clock& clock);

  // --- Login codes -------------------------------------------------------------------------
  // Replaces the phone's code, resetting its attempts; in dev mode also records it in the
  // dev-only outbox.
  absl::Status SaveLoginCode(const std::string& phone, const std::string& code_hash,
                             core::TimePoint expires_at);
  absl::Status RecordDevSms(const std::string& phone, const std::string& code);
  // Judges the presented code and commits the verdict: a wrong try counts, an accepted code is
  // deleted so it works once.
  absl::StatusOr<CodeVerdict> ConsumeLoginCode(const std::string& phone,
                                               const std::string& presented_hash);

  // --- Accounts ----------------------------------------------------------------------------
  // ALREADY_EXISTS (PHONE_TAKEN) if the phone has an account.
  absl::StatusOr<Account> CreateAccount(const NewAccount& account);
  // NOT_FOUND (USER_NOT_FOUND).
  absl::StatusOr<Account> GetAccount(int64_t user_id);
  absl::StatusOr<std::optional<Account>> FindByPhone(const std::string& phone);
  absl::StatusOr<std::optional<Account>> FindByPlazaId(const std::string& plaza_id);
  // Profiles of the ids that exist, in the order given.
  absl::StatusOr<std::vector<v1::Profile>> GetProfiles(const std::vector<int64_t>& user_ids);
  absl::StatusOr<Account> UpdateProfile(int64_t user_id, const ProfilePatch& patch);
  // ALREADY_EXISTS (PLAZA_ID_TAKEN); FAILED_PRECONDITION (PLAZA_ID_CHANGE_TOO_SOON).
  absl::StatusOr<Account> SetPlazaId(int64_t user_id, const std::string& plaza_id);
  absl::Status SetPasswordHash(int64_t user_id, const std::string& password_hash);
  absl::StatusOr<v1::PrivacySettings> SetPrivacy(int64_t user_id, const v1::PrivacySettings& privacy);

  // --- Sessions ----------------------------------------------------------------------------
  // Creates a session for the device and revokes the device's earlier sessions.
  absl::StatusOr<NewSession> CreateSession(int64_t user_id, const v1::Device& device,
                                           const std::string& refresh_hash,
                                           core::TimePoint refresh_expires_at);
  // Exchanges a refresh token: kRotated (the new hash replaces it), kReused (it was spent
  // before: the whole session is revoked and committed), or kUnknown (never issued, expired,
  // or its session ended).
  absl::StatusOr<RefreshResult> RotateRefreshToken(const std::string& presented_hash,
                                                   const std::string& new_hash,
                                                   core::TimePoint new_expires_at);
  // True if the session exists, is the user's, and has not ended.
  absl::StatusOr<bool> IsSessionActive(int64_t user_id, int64_t session_id);
  // Ends the session; OK if it had already ended. NOT_FOUND (SESSION_NOT_FOUND) unless it is
  // a session of the user.
  absl::Status RevokeSession(int64_t user_id, int64_t session_id);
  // The ids of the sessions revoked.
  absl::StatusOr<std::vector<int64_t>> RevokeOtherSessions(int64_t user_id, int64_t keep_session_id);
  absl::StatusOr<std::vector<v1::Session>> ListSessions(int64_t user_id);
  // Sessions that ended after `since`, for re-publishing revocations to Redis.
  absl::StatusOr<std::vector<int64_t>> SessionsRevokedSince(core::TimePoint since);

  // --- Social graph --------------------------------------------------------------------------
  absl::StatusOr<Relation> GetRelation(int64_t user_id, int64_t other_user_id);
  // PERMISSION_DENIED (BLOCKED); ALREADY_EXISTS (ALREADY_FRIENDS); NOT_FOUND (USER_NOT_FOUND).
  absl::StatusOr<FriendRequestResult> SendFriendRequest(int64_t from_user_id, int64_t to_user_id,
                                                        const std::string& greeting,
                                                        v1::FriendRequestSource source);
  // Newest first, request ids below `before_request_id` (0: from the newest).
  absl::StatusOr<std::vector<v1::FriendRequest>> ListFriendRequests(
      int64_t user_id, v1::FriendRequestDirection direction, int64_t before_request_id, int limit);
  // NOT_FOUND (FRIEND_REQUEST_NOT_FOUND) unless pending and addressed to the user.
  absl::StatusOr<v1::Friend> AcceptFriendRequest(int64_t user_id, int64_t request_id,
                                                 const std::string& remark);
  absl::Status DeclineFriendRequest(int64_t user_id, int64_t request_id);
  // NOT_FOUND (NOT_FRIENDS).
  absl::Status RemoveFriend(int64_t user_id, int64_t friend_id);
  // NOT_FOUND (NOT_FRIENDS).
  absl::StatusOr<v1::Friend> GetFriend(int64_t user_id, int64_t friend_id);
  // Friends with user ids above `after_user_id`, ascending.
  absl::StatusOr<std::vector<v1::Friend>> ListFriends(int64_t user_id, int64_t after_user_id, int limit);
  // NOT_FOUND (NOT_FRIENDS).
  absl::StatusOr<v1::Friend> SetRemark(int64_t user_id, int64_t friend_id, const std::string& remark);
  // Blocking also ends the friendship and declines pending requests both ways.
  absl::Status Block(int64_t user_id, int64_t blocked_user_id);
  absl::Status Unblock(int64_t user_id, int64_t blocked_user_id);
  absl::StatusOr<std::vector<v1::Profile>> ListBlocked(int64_t user_id, int64_t after_user_id, int limit);

  // --- Tags ----------------------------------------------------------------------------------
  // FAILED_PRECONDITION (NOT_A_FRIEND, TOO_MANY_TAGS); ALREADY_EXISTS (TAG_NAME_TAKEN).
  absl::StatusOr<v1::Tag> CreateTag(int64_t user_id, const std::string& name,
                                    const std::vector<int64_t>& member_ids);
  // NOT_FOUND (TAG_NOT_FOUND) plus CreateTag's refusals.
  absl::StatusOr<v1::Tag> UpdateTag(int64_t user_id, int64_t tag_id, const std::string& name,
                                    const std::vector<int64_t>& member_ids);
  absl::Status DeleteTag(int64_t user_id, int64_t tag_id);
  absl::StatusOr<std::vector<v1::Tag>> ListTags(int64_t user_id);

  // --- Discovery and internal queries ---------------------------------------------------------
  // Users other than `user_id` whose phone hash is listed, who allow being found by phone, and
  // with no block either way, each marked if already a friend.
  absl::StatusOr<std::vector<v1::DiscoveredContact>> DiscoverByPhoneHash(
      int64_t user_id, const std::vector<std::string>& phone_hashes);
  // Every friend (at most kMaxFriends) with the user's tag ids for each.
  absl::StatusOr<std::vector<v1::FriendTags>> FriendIdsWithTags(int64_t user_id);

 private:
  // The account matching `condition` (SQL over identity.users with one parameter $1).
  absl::StatusOr<std::optional<Account>> FindAccount(const char* condition, const std::string& value);

  pg::Pool& pool_;
  core::IdGenerator& ids_;
  const core::Clock& clock_;
};

}  // namespace plaza::identity
