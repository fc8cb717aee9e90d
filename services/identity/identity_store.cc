#include "services/identity/identity_store.h"

#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <map>
#include <set>
#include <type_traits>

#include "plaza/core/status.h"

namespace plaza::identity {
namespace {

// Timestamps cross the driver as microseconds since the epoch.
constexpr const char* kAccountColumns =
    "user_id, phone, coalesce(plaza_id, ''), "
    "(extract(epoch FROM plaza_id_changed_at) * 1000000)::bigint, display_name, avatar, region, "
    "signature, gender, password_hash, findable_by_phone, findable_by_plaza_id, "
    "friend_requests_need_approval";
constexpr const char* kProfileColumns =
    "user_id, coalesce(plaza_id, ''), display_name, avatar, region, signature, gender";

constexpr const char* kUpsertLoginCode =
    "INSERT INTO identity.login_codes (phone, code_hash, expires_at, failed_attempts, created_at) "
    "VALUES ($1, $2, to_timestamp($3::double precision / 1e6), 0, to_timestamp($4::double "
    "precision / 1e6)) "
    "ON CONFLICT (phone) DO UPDATE SET code_hash = excluded.code_hash, "
    "expires_at = excluded.expires_at, failed_attempts = 0, created_at = excluded.created_at";
constexpr const char* kInsertDevSms =
    "INSERT INTO identity.dev_sms_outbox (phone, code) VALUES ($1, $2)";
constexpr const char* kLockLoginCode =
    "SELECT code_hash, (extract(epoch FROM expires_at) * 1000000)::bigint, failed_attempts "
    "FROM identity.login_codes WHERE phone = $1 FOR UPDATE";
constexpr const char* kCountFailedCode =
    "UPDATE identity.login_codes SET failed_attempts = failed_attempts + 1 WHERE phone = $1";
constexpr const char* kDeleteLoginCode = "DELETE FROM identity.login_codes WHERE phone = $1";

constexpr const char* kInsertAccount =
    "INSERT INTO identity.users (user_id, phone, phone_hash, display_name, password_hash, "
    "created_at) "
    "VALUES ($1, $2, $3, $4, $5, to_timestamp($6::double precision / 1e6))";

constexpr const char* kInsertSession =
    "INSERT INTO identity.sessions (session_id, user_id, device_id, device_name, platform, "
    "refresh_hash, refresh_expires_at, created_at, last_active_at) VALUES ($1, $2, $3, $4, $5, $6, "
    "to_timestamp($7::double precision / 1e6), to_timestamp($8::double precision / 1e6), "
    "to_timestamp($8::double precision / 1e6))";
constexpr const char* kRevokeDeviceSessions =
    "UPDATE identity.sessions SET revoked_at = to_timestamp($3::double precision / 1e6) "
    "WHERE user_id = $1 AND device_id = $2 AND revoked_at IS NULL RETURNING session_id";
constexpr const char* kLockSessionByRefresh =
    "SELECT session_id, user_id, device_id, revoked_at IS NULL AND "
    "refresh_expires_at > to_timestamp($2::double precision / 1e6) "
    "FROM identity.sessions WHERE refresh_hash = $1 FOR UPDATE";
constexpr const char* kRotateRefresh =
    "UPDATE identity.sessions SET refresh_hash = $2, refresh_expires_at = "
    "to_timestamp($3::double precision / 1e6), last_active_at = to_timestamp($4::double precision "
    "/ 1e6) "
    "WHERE session_id = $1";
constexpr const char* kSpendRefresh =
    "INSERT INTO identity.spent_refresh_tokens (refresh_hash, session_id) VALUES ($1, $2)";
constexpr const char* kFindSpentRefresh =
    "SELECT s.session_id, s.user_id, s.device_id FROM identity.spent_refresh_tokens t "
    "JOIN identity.sessions s USING (session_id) WHERE t.refresh_hash = $1";
constexpr const char* kRevokeSessionById =
    "UPDATE identity.sessions SET revoked_at = to_timestamp($3::double precision / 1e6) "
    "WHERE session_id = $1 AND user_id = $2 AND revoked_at IS NULL";
constexpr const char* kRevokeOtherSessions =
    "UPDATE identity.sessions SET revoked_at = to_timestamp($3::double precision / 1e6) "
    "WHERE user_id = $1 AND session_id <> $2 AND revoked_at IS NULL RETURNING session_id";
constexpr const char* kSessionActive =
    "SELECT 1 FROM identity.sessions WHERE session_id = $1 AND user_id = $2 AND revoked_at IS NULL";
constexpr const char* kListSessions =
    "SELECT session_id, device_id, device_name, platform, "
    "(extract(epoch FROM created_at) * 1000000)::bigint, "
    "(extract(epoch FROM last_active_at) * 1000000)::bigint FROM identity.sessions "
    "WHERE user_id = $1 AND revoked_at IS NULL ORDER BY session_id DESC";

constexpr const char* kRelation =
    "SELECT EXISTS (SELECT 1 FROM identity.friendships WHERE user_id = $1 AND friend_id = $2), "
    "EXISTS (SELECT 1 FROM identity.blocks WHERE user_id = $1 AND blocked_user_id = $2), "
    "EXISTS (SELECT 1 FROM identity.blocks WHERE user_id = $2 AND blocked_user_id = $1)";
constexpr const char* kInsertFriendship =
    "INSERT INTO identity.friendships (user_id, friend_id, remark, created_at) VALUES "
    "($1, $2, $3, to_timestamp($4::double precision / 1e6)) ON CONFLICT DO NOTHING";
constexpr const char* kPendingRequest =
    "SELECT request_id FROM identity.friend_requests WHERE from_user_id = $1 AND to_user_id = $2 "
    "AND status = 1 FOR UPDATE";
constexpr const char* kInsertFriendRequest =
    "INSERT INTO identity.friend_requests (request_id, from_user_id, to_user_id, greeting, source, "
    "status, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, "
    "to_timestamp($7::double precision / 1e6), to_timestamp($7::double precision / 1e6))";
constexpr const char* kRefreshFriendRequest =
    "UPDATE identity.friend_requests SET greeting = $2, source = $3, "
    "created_at = to_timestamp($4::double precision / 1e6), updated_at = created_at "
    "WHERE request_id = $1";
constexpr const char* kSetRequestStatus =
    "UPDATE identity.friend_requests SET status = $2, updated_at = to_timestamp($3::double "
    "precision / 1e6) "
    "WHERE request_id = $1";
constexpr const char* kFriendRequestColumns =
    "request_id, from_user_id, to_user_id, greeting, source, status, "
    "(extract(epoch FROM created_at) * 1000000)::bigint";
constexpr const char* kDeclinePendingBetween =
    "UPDATE identity.friend_requests SET status = 3, updated_at = to_timestamp($3::double "
    "precision / 1e6) "
    "WHERE status = 1 AND ((from_user_id = $1 AND to_user_id = $2) OR (from_user_id = $2 AND "
    "to_user_id = $1))";
constexpr const char* kDeleteFriendshipBothWays =
    "DELETE FROM identity.friendships WHERE (user_id = $1 AND friend_id = $2) OR (user_id = $2 AND "
    "friend_id = $1)";
constexpr const char* kDeleteTagMembershipBothWays =
    "DELETE FROM identity.tag_members WHERE (user_id = $1 AND friend_id = $2) OR (user_id = $2 AND "
    "friend_id = $1)";
constexpr const char* kFriendColumns =
    "f.remark, (extract(epoch FROM f.created_at) * 1000000)::bigint, "
    "coalesce((SELECT array_agg(m.tag_id ORDER BY m.tag_id) FROM identity.tag_members m "
    "WHERE m.user_id = f.user_id AND m.friend_id = f.friend_id), '{}'), "
    "u.user_id, coalesce(u.plaza_id, ''), u.display_name, u.avatar, u.region, u.signature, "
    "u.gender";

constexpr const char* kSelectTags =
    "SELECT t.tag_id, t.name, coalesce((SELECT array_agg(m.friend_id ORDER BY m.friend_id) FROM "
    "identity.tag_members m WHERE m.user_id = t.user_id AND m.tag_id = t.tag_id), '{}') "
    "FROM identity.tags t WHERE t.user_id = $1";

void SetTimestamp(google::protobuf::Timestamp* out, int64_t micros) {
  *out = google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(micros);
}

// Reads kProfileColumns starting at `first`.
v1::Profile ProfileFrom(const pqxx::row& row, int first = 0) {
  v1::Profile profile;
  profile.set_user_id(row[first].as<int64_t>());
  profile.set_plaza_id(row[first + 1].as<std::string>());
  profile.set_display_name(row[first + 2].as<std::string>());
  profile.set_avatar(row[first + 3].as<std::string>());
  profile.set_region(row[first + 4].as<std::string>());
  profile.set_signature(row[first + 5].as<std::string>());
  profile.set_gender(static_cast<v1::Gender>(row[first + 6].as<int>()));
  return profile;
}

Account AccountFrom(const pqxx::row& row) {
  Account account;
  auto& profile = account.profile;
  profile.set_user_id(row[0].as<int64_t>());
  account.phone = row[1].as<std::string>();
  profile.set_plaza_id(row[2].as<std::string>());
  if (!row[3].is_null()) account.plaza_id_changed_at = core::FromUnixMicros(row[3].as<int64_t>());
  profile.set_display_name(row[4].as<std::string>());
  profile.set_avatar(row[5].as<std::string>());
  profile.set_region(row[6].as<std::string>());
  profile.set_signature(row[7].as<std::string>());
  profile.set_gender(static_cast<v1::Gender>(row[8].as<int>()));
  if (!row[9].is_null()) account.password_hash = row[9].as<std::string>();
  account.privacy.set_findable_by_phone(row[10].as<bool>());
  account.privacy.set_findable_by_plaza_id(row[11].as<bool>());
  account.privacy.set_friend_requests_need_approval(row[12].as<bool>());
  return account;
}

// Parses a PostgreSQL bigint[] text like {1,2,3}.
std::vector<int64_t> IdArray(const pqxx::field& field) {
  std::vector<int64_t> ids;
  auto parser = field.as_array();
  for (auto [kind, value] = parser.get_next(); kind != pqxx::array_parser::done;
       std::tie(kind, value) = parser.get_next()) {
    if (kind == pqxx::array_parser::string_value) ids.push_back(std::stoll(value));
  }
  return ids;
}

// A PostgreSQL array literal, passed as one text parameter and cast (::bigint[], ::text[]).
// Elements are ids or validated hex strings, so they need no quoting.
template <typename T>
std::string ArrayLiteral(const std::vector<T>& values) {
  std::string literal = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) literal += ',';
    if constexpr (std::is_arithmetic_v<T>) {
      literal += std::to_string(values[i]);
    } else {
      literal += values[i];
    }
  }
  return literal + "}";
}

v1::Friend FriendFrom(const pqxx::row& row) {
  v1::Friend friend_;
  friend_.set_remark(row[0].as<std::string>());
  SetTimestamp(friend_.mutable_since_time(), row[1].as<int64_t>());
  for (int64_t tag : IdArray(row[2])) friend_.add_tag_ids(tag);
  *friend_.mutable_profile() = ProfileFrom(row, 3);
  return friend_;
}

v1::FriendRequest FriendRequestFrom(const pqxx::row& row) {
  v1::FriendRequest request;
  request.set_request_id(row[0].as<int64_t>());
  request.set_from_user_id(row[1].as<int64_t>());
  request.set_to_user_id(row[2].as<int64_t>());
  request.set_greeting(row[3].as<std::string>());
  request.set_source(static_cast<v1::FriendRequestSource>(row[4].as<int>()));
  request.set_status(static_cast<v1::FriendRequestStatus>(row[5].as<int>()));
  SetTimestamp(request.mutable_create_time(), row[6].as<int64_t>());
  return request;
}

absl::StatusOr<v1::Friend> LoadFriend(pqxx::work& tx, int64_t user_id, int64_t friend_id) {
  auto rows = pg::Exec(tx,
                       std::string("SELECT ") + kFriendColumns +
                           " FROM identity.friendships f JOIN identity.users u ON "
                           "u.user_id = f.friend_id WHERE f.user_id = $1 AND f.friend_id = $2",
                       user_id, friend_id);
  if (rows.empty()) return NotFound("NOT_FRIENDS", "that user is not your friend");
  return FriendFrom(rows[0]);
}

v1::FriendRequest LoadFriendRequest(pqxx::work& tx, int64_t request_id) {
  return FriendRequestFrom(pg::Exec1(tx,
                                     std::string("SELECT ") + kFriendRequestColumns +
                                         " FROM identity.friend_requests WHERE request_id = $1",
                                     request_id));
}

void MakeFriends(pqxx::work& tx, int64_t a, int64_t b, const std::string& a_remark_for_b,
                 int64_t now_micros) {
  pg::Exec(tx, kInsertFriendship, a, b, a_remark_for_b, now_micros);
  pg::Exec(tx, kInsertFriendship, b, a, "", now_micros);
}

absl::Status RequireFriends(pqxx::work& tx, int64_t user_id,
                            const std::vector<int64_t>& member_ids) {
  if (member_ids.empty()) return absl::OkStatus();
  auto count =
      pg::Exec1(tx,
                "SELECT count(*) FROM identity.friendships WHERE user_id = $1 AND friend_id = "
                "ANY($2::bigint[])",
                user_id, ArrayLiteral(member_ids))[0]
          .as<size_t>();
  std::set<int64_t> distinct(member_ids.begin(), member_ids.end());
  if (count != distinct.size()) {
    return FailedPrecondition("NOT_A_FRIEND", "every tag member must be your friend");
  }
  return absl::OkStatus();
}

void ReplaceTagMembers(pqxx::work& tx, int64_t user_id, int64_t tag_id,
                       const std::vector<int64_t>& member_ids) {
  pg::Exec(tx, "DELETE FROM identity.tag_members WHERE user_id = $1 AND tag_id = $2", user_id,
           tag_id);
  pg::Exec(tx,
           "INSERT INTO identity.tag_members (user_id, tag_id, friend_id) "
           "SELECT $1, $2, unnest($3::bigint[]) ON CONFLICT DO NOTHING",
           user_id, tag_id, ArrayLiteral(member_ids));
}

v1::Tag TagFrom(const pqxx::row& row) {
  v1::Tag tag;
  tag.set_tag_id(row[0].as<int64_t>());
  tag.set_name(row[1].as<std::string>());
  for (int64_t id : IdArray(row[2])) tag.add_member_ids(id);
  return tag;
}

absl::StatusOr<v1::Tag> LoadTag(pqxx::work& tx, int64_t user_id, int64_t tag_id) {
  auto rows = pg::Exec(tx, std::string(kSelectTags) + " AND t.tag_id = $2", user_id, tag_id);
  if (rows.empty()) return NotFound("TAG_NOT_FOUND", "no such tag");
  return TagFrom(rows[0]);
}

}  // namespace

IdentityStore::IdentityStore(pg::Pool& pool, core::IdGenerator& ids, const core::Clock& clock)
    : pool_(pool), ids_(ids), clock_(clock) {}

absl::Status IdentityStore::SaveLoginCode(const std::string& phone, const std::string& code_hash,
                                          core::TimePoint expires_at) {
  return pool_.Transact([&](pqxx::work& tx) {
    pg::Exec(tx, kUpsertLoginCode, phone, code_hash, core::UnixMicros(expires_at),
             core::UnixMicros(clock_.Now()));
    return absl::OkStatus();
  });
}

absl::Status IdentityStore::RecordDevSms(const std::string& phone, const std::string& code) {
  return pool_.Transact([&](pqxx::work& tx) {
    pg::Exec(tx, kInsertDevSms, phone, code);
    return absl::OkStatus();
  });
}

absl::StatusOr<CodeVerdict> IdentityStore::ConsumeLoginCode(const std::string& phone,
                                                            const std::string& presented_hash) {
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<CodeVerdict> {
    auto rows = pg::Exec(tx, kLockLoginCode, phone);
    if (rows.empty()) return CodeVerdict::kNone;
    StoredCode stored{rows[0][0].as<std::string>(), core::FromUnixMicros(rows[0][1].as<int64_t>()),
                      rows[0][2].as<int>()};
    CodeVerdict verdict = JudgeCode(stored, presented_hash, clock_.Now());
    if (verdict == CodeVerdict::kWrong) pg::Exec(tx, kCountFailedCode, phone);
    if (verdict == CodeVerdict::kAccepted) pg::Exec(tx, kDeleteLoginCode, phone);
    return verdict;
  });
}

absl::StatusOr<Account> IdentityStore::CreateAccount(const NewAccount& account) {
  int64_t user_id = ids_.Next();
  auto created = pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<Account> {
    pg::Exec(tx, kInsertAccount, user_id, account.phone, account.phone_hash, account.display_name,
             account.password_hash, core::UnixMicros(clock_.Now()));
    return AccountFrom(pg::Exec1(
        tx, std::string("SELECT ") + kAccountColumns + " FROM identity.users WHERE user_id = $1",
        user_id));
  });
  if (created.status().code() == absl::StatusCode::kAlreadyExists) {
    return AlreadyExists("PHONE_TAKEN", "this phone number already has an account; log in instead");
  }
  return created;
}

absl::StatusOr<Account> IdentityStore::GetAccount(int64_t user_id) {
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<Account> {
    auto rows = pg::Exec(
        tx, std::string("SELECT ") + kAccountColumns + " FROM identity.users WHERE user_id = $1",
        user_id);
    if (rows.empty()) return NotFound("USER_NOT_FOUND", "no such user");
    return AccountFrom(rows[0]);
  });
}

absl::StatusOr<std::optional<Account>> IdentityStore::FindAccount(const char* condition,
                                                                  const std::string& value) {
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<std::optional<Account>> {
    auto rows = pg::Exec(
        tx, std::string("SELECT ") + kAccountColumns + " FROM identity.users WHERE " + condition,
        value);
    if (rows.empty()) return std::optional<Account>();
    return std::optional<Account>(AccountFrom(rows[0]));
  });
}

absl::StatusOr<std::optional<Account>> IdentityStore::FindByPhone(const std::string& phone) {
  return FindAccount("phone = $1", phone);
}

absl::StatusOr<std::optional<Account>> IdentityStore::FindByPlazaId(const std::string& plaza_id) {
  return FindAccount("lower(plaza_id) = lower($1)", plaza_id);
}

absl::StatusOr<std::vector<v1::Profile>> IdentityStore::GetProfiles(
    const std::vector<int64_t>& user_ids) {
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<std::vector<v1::Profile>> {
    std::map<int64_t, v1::Profile> found;
    for (const auto& row : pg::Exec(tx,
                                    std::string("SELECT ") + kProfileColumns +
                                        " FROM identity.users WHERE user_id = ANY($1::bigint[])",
                                    ArrayLiteral(user_ids))) {
      auto profile = ProfileFrom(row);
      found.emplace(profile.user_id(), std::move(profile));
    }
    std::vector<v1::Profile> ordered;
    for (int64_t id : user_ids) {
      if (auto it = found.find(id); it != found.end()) ordered.push_back(it->second);
    }
    return ordered;
  });
}

absl::StatusOr<Account> IdentityStore::UpdateProfile(int64_t user_id, const ProfilePatch& patch) {
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<Account> {
    std::optional<int> gender;
    if (patch.gender) gender = static_cast<int>(*patch.gender);
    auto rows =
        pg::Exec(tx,
                 std::string("UPDATE identity.users SET display_name = coalesce($2, display_name), "
                             "avatar = coalesce($3, avatar), region = coalesce($4, region), "
                             "signature = coalesce($5, signature), gender = coalesce($6, gender) "
                             "WHERE user_id = $1 RETURNING ") +
                     kAccountColumns,
                 user_id, patch.display_name, patch.avatar, patch.region, patch.signature, gender);
    if (rows.empty()) return NotFound("USER_NOT_FOUND", "no such user");
    return AccountFrom(rows[0]);
  });
}

absl::StatusOr<Account> IdentityStore::SetPlazaId(int64_t user_id, const std::string& plaza_id) {
  auto now = clock_.Now();
  auto updated = pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<Account> {
    auto rows = pg::Exec(tx,
                         std::string("SELECT ") + kAccountColumns +
                             " FROM identity.users WHERE user_id = $1 FOR UPDATE",
                         user_id);
    if (rows.empty()) return NotFound("USER_NOT_FOUND", "no such user");
    Account account = AccountFrom(rows[0]);
    if (account.plaza_id_changed_at &&
        now < *account.plaza_id_changed_at + kPlazaIdChangeInterval) {
      return FailedPrecondition("PLAZA_ID_CHANGE_TOO_SOON",
                                "the Plaza ID can be changed once a year");
    }
    return AccountFrom(pg::Exec1(
        tx,
        std::string("UPDATE identity.users SET plaza_id = $2, plaza_id_changed_at = "
                    "to_timestamp($3::double precision / 1e6) WHERE user_id = $1 RETURNING ") +
            kAccountColumns,
        user_id, plaza_id, core::UnixMicros(now)));
  });
  if (updated.status().code() == absl::StatusCode::kAlreadyExists) {
    return AlreadyExists("PLAZA_ID_TAKEN", "that Plaza ID is taken");
  }
  return updated;
}

absl::Status IdentityStore::SetPasswordHash(int64_t user_id, const std::string& password_hash) {
  return pool_.Transact([&](pqxx::work& tx) {
    pg::Exec(tx, "UPDATE identity.users SET password_hash = $2 WHERE user_id = $1", user_id,
             password_hash);
    return absl::OkStatus();
  });
}

absl::StatusOr<v1::PrivacySettings> IdentityStore::SetPrivacy(int64_t user_id,
                                                              const v1::PrivacySettings& privacy) {
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<v1::PrivacySettings> {
    pg::Exec(tx,
             "UPDATE identity.users SET findable_by_phone = $2, findable_by_plaza_id = $3, "
             "friend_requests_need_approval = $4 WHERE user_id = $1",
             user_id, privacy.findable_by_phone(), privacy.findable_by_plaza_id(),
             privacy.friend_requests_need_approval());
    return privacy;
  });
}

absl::StatusOr<NewSession> IdentityStore::CreateSession(int64_t user_id, const v1::Device& device,
                                                        const std::string& refresh_hash,
                                                        core::TimePoint refresh_expires_at) {
  int64_t session_id = ids_.Next();
  int64_t now = core::UnixMicros(clock_.Now());
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<NewSession> {
    NewSession session{session_id, {}};
    for (const auto& row : pg::Exec(tx, kRevokeDeviceSessions, user_id, device.device_id(), now)) {
      session.replaced_session_ids.push_back(row[0].as<int64_t>());
    }
    pg::Exec(tx, kInsertSession, session_id, user_id, device.device_id(), device.name(),
             static_cast<int>(device.platform()), refresh_hash,
             core::UnixMicros(refresh_expires_at), now);
    return session;
  });
}

absl::StatusOr<RefreshResult> IdentityStore::RotateRefreshToken(const std::string& presented_hash,
                                                                const std::string& new_hash,
                                                                core::TimePoint new_expires_at) {
  int64_t now = core::UnixMicros(clock_.Now());
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<RefreshResult> {
    RefreshResult result;
    auto current = pg::Exec(tx, kLockSessionByRefresh, presented_hash, now);
    if (!current.empty()) {
      result.session = {current[0][0].as<int64_t>(), current[0][1].as<int64_t>(),
                        current[0][2].as<std::string>()};
      if (!current[0][3].as<bool>()) return result;  // ended or expired: kUnknown
      pg::Exec(tx, kRotateRefresh, result.session.session_id, new_hash,
               core::UnixMicros(new_expires_at), now);
      pg::Exec(tx, kSpendRefresh, presented_hash, result.session.session_id);
      result.outcome = RefreshOutcome::kRotated;
      return result;
    }
    auto spent = pg::Exec(tx, kFindSpentRefresh, presented_hash);
    if (spent.empty()) return result;
    // A spent token came back: someone holds a copy. End the whole session family.
    result.session = {spent[0][0].as<int64_t>(), spent[0][1].as<int64_t>(),
                      spent[0][2].as<std::string>()};
    pg::Exec(tx, kRevokeSessionById, result.session.session_id, result.session.user_id, now);
    result.outcome = RefreshOutcome::kReused;
    return result;
  });
}

absl::StatusOr<bool> IdentityStore::IsSessionActive(int64_t user_id, int64_t session_id) {
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<bool> {
    return !pg::Exec(tx, kSessionActive, session_id, user_id).empty();
  });
}

absl::Status IdentityStore::RevokeSession(int64_t user_id, int64_t session_id) {
  return pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    pg::Exec(tx, kRevokeSessionById, session_id, user_id, core::UnixMicros(clock_.Now()));
    if (pg::Exec(tx, "SELECT 1 FROM identity.sessions WHERE session_id = $1 AND user_id = $2",
                 session_id, user_id)
            .empty()) {
      return NotFound("SESSION_NOT_FOUND", "no such session");
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<int64_t>> IdentityStore::SessionsRevokedSince(core::TimePoint since) {
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<std::vector<int64_t>> {
    std::vector<int64_t> ids;
    for (const auto& row : pg::Exec(tx,
                                    "SELECT session_id FROM identity.sessions WHERE revoked_at > "
                                    "to_timestamp($1::double precision / 1e6)",
                                    core::UnixMicros(since))) {
      ids.push_back(row[0].as<int64_t>());
    }
    return ids;
  });
}

absl::StatusOr<std::vector<int64_t>> IdentityStore::RevokeOtherSessions(int64_t user_id,
                                                                        int64_t keep_session_id) {
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<std::vector<int64_t>> {
    std::vector<int64_t> revoked;
    for (const auto& row : pg::Exec(tx, kRevokeOtherSessions, user_id, keep_session_id,
                                    core::UnixMicros(clock_.Now()))) {
      revoked.push_back(row[0].as<int64_t>());
    }
    return revoked;
  });
}

absl::StatusOr<std::vector<v1::Session>> IdentityStore::ListSessions(int64_t user_id) {
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<std::vector<v1::Session>> {
    std::vector<v1::Session> sessions;
    for (const auto& row : pg::Exec(tx, kListSessions, user_id)) {
      v1::Session& session = sessions.emplace_back();
      session.set_session_id(row[0].as<int64_t>());
      session.mutable_device()->set_device_id(row[1].as<std::string>());
      session.mutable_device()->set_name(row[2].as<std::string>());
      session.mutable_device()->set_platform(static_cast<v1::Platform>(row[3].as<int>()));
      SetTimestamp(session.mutable_create_time(), row[4].as<int64_t>());
      SetTimestamp(session.mutable_last_active_time(), row[5].as<int64_t>());
    }
    return sessions;
  });
}

absl::StatusOr<Relation> IdentityStore::GetRelation(int64_t user_id, int64_t other_user_id) {
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<Relation> {
    auto row = pg::Exec1(tx, kRelation, user_id, other_user_id);
    return Relation{row[0].as<bool>(), row[1].as<bool>(), row[2].as<bool>()};
  });
}

absl::StatusOr<FriendRequestResult> IdentityStore::SendFriendRequest(
    int64_t from_user_id, int64_t to_user_id, const std::string& greeting,
    v1::FriendRequestSource source) {
  int64_t new_request_id = ids_.Next();
  int64_t now = core::UnixMicros(clock_.Now());
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<FriendRequestResult> {
    // Lock both accounts in id order so concurrent requests between the same pair serialise.
    auto locked = pg::Exec(tx,
                           "SELECT user_id, friend_requests_need_approval FROM identity.users "
                           "WHERE user_id IN ($1, $2) ORDER BY user_id FOR UPDATE",
                           from_user_id, to_user_id);
    bool need_approval = true;
    bool target_exists = false;
    for (const auto& row : locked) {
      if (row[0].as<int64_t>() == to_user_id) {
        target_exists = true;
        need_approval = row[1].as<bool>();
      }
    }
    if (!target_exists) return NotFound("USER_NOT_FOUND", "no such user");
    auto relation = pg::Exec1(tx, kRelation, from_user_id, to_user_id);
    if (relation[1].as<bool>() || relation[2].as<bool>()) {
      return PermissionDenied("BLOCKED", "you cannot add this user");
    }
    if (relation[0].as<bool>()) return AlreadyExists("ALREADY_FRIENDS", "you are already friends");

    FriendRequestResult result;
    // They asked me first: my request answers theirs.
    if (auto reverse = pg::Exec(tx, kPendingRequest, to_user_id, from_user_id); !reverse.empty()) {
      int64_t request_id = reverse[0][0].as<int64_t>();
      pg::Exec(tx, kSetRequestStatus, request_id, 2, now);
      MakeFriends(tx, from_user_id, to_user_id, "", now);
      result.request = LoadFriendRequest(tx, request_id);
      result.became_friends = true;
      return result;
    }
    int64_t request_id;
    if (auto pending = pg::Exec(tx, kPendingRequest, from_user_id, to_user_id); !pending.empty()) {
      request_id = pending[0][0].as<int64_t>();
      pg::Exec(tx, kRefreshFriendRequest, request_id, greeting, static_cast<int>(source), now);
    } else {
      request_id = new_request_id;
      pg::Exec(tx, kInsertFriendRequest, request_id, from_user_id, to_user_id, greeting,
               static_cast<int>(source), 1, now);
    }
    if (!need_approval) {
      pg::Exec(tx, kSetRequestStatus, request_id, 2, now);
      MakeFriends(tx, from_user_id, to_user_id, "", now);
      result.became_friends = true;
    }
    result.request = LoadFriendRequest(tx, request_id);
    return result;
  });
}

absl::StatusOr<std::vector<v1::FriendRequest>> IdentityStore::ListFriendRequests(
    int64_t user_id, v1::FriendRequestDirection direction, int64_t before_request_id, int limit) {
  bool incoming = direction == v1::FRIEND_REQUEST_DIRECTION_INCOMING;
  std::string owner = incoming ? "r.to_user_id" : "r.from_user_id";
  std::string peer = incoming ? "r.from_user_id" : "r.to_user_id";
  std::string sql =
      "SELECT r.request_id, r.from_user_id, r.to_user_id, r.greeting, r.source, r.status, "
      "(extract(epoch FROM r.created_at) * 1000000)::bigint, "
      "u.user_id, coalesce(u.plaza_id, ''), u.display_name, u.avatar, u.region, "
      "u.signature, u.gender FROM identity.friend_requests r JOIN identity.users u ON "
      "u.user_id = " +
      peer + " WHERE " + owner +
      " = $1 AND ($2 = 0 OR r.request_id < $2) "
      "ORDER BY r.request_id DESC LIMIT $3";
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<std::vector<v1::FriendRequest>> {
    std::vector<v1::FriendRequest> requests;
    for (const auto& row : pg::Exec(tx, sql, user_id, before_request_id, limit)) {
      auto& request = requests.emplace_back(FriendRequestFrom(row));
      *request.mutable_peer() = ProfileFrom(row, 7);
    }
    return requests;
  });
}

absl::StatusOr<v1::Friend> IdentityStore::AcceptFriendRequest(int64_t user_id, int64_t request_id,
                                                              const std::string& remark) {
  int64_t now = core::UnixMicros(clock_.Now());
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<v1::Friend> {
    auto rows = pg::Exec(
        tx,
        "SELECT from_user_id FROM identity.friend_requests WHERE request_id = $1 AND to_user_id = "
        "$2 "
        "AND status = 1 FOR UPDATE",
        request_id, user_id);
    if (rows.empty()) return NotFound("FRIEND_REQUEST_NOT_FOUND", "no such pending friend request");
    int64_t from_user_id = rows[0][0].as<int64_t>();
    auto relation = pg::Exec1(tx, kRelation, user_id, from_user_id);
    if (relation[1].as<bool>() || relation[2].as<bool>()) {
      return PermissionDenied("BLOCKED", "you cannot add this user");
    }
    pg::Exec(tx, kSetRequestStatus, request_id, 2, now);
    MakeFriends(tx, user_id, from_user_id, remark, now);
    return LoadFriend(tx, user_id, from_user_id);
  });
}

absl::Status IdentityStore::DeclineFriendRequest(int64_t user_id, int64_t request_id) {
  return pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    auto updated = pg::Exec(
        tx,
        "UPDATE identity.friend_requests SET status = 3, updated_at = to_timestamp($3::double "
        "precision / 1e6) "
        "WHERE request_id = $1 AND to_user_id = $2 AND status = 1",
        request_id, user_id, core::UnixMicros(clock_.Now()));
    if (updated.affected_rows() == 0) {
      return NotFound("FRIEND_REQUEST_NOT_FOUND", "no such pending friend request");
    }
    return absl::OkStatus();
  });
}

absl::Status IdentityStore::RemoveFriend(int64_t user_id, int64_t friend_id) {
  return pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    if (pg::Exec(tx, kDeleteFriendshipBothWays, user_id, friend_id).affected_rows() == 0) {
      return NotFound("NOT_FRIENDS", "that user is not your friend");
    }
    pg::Exec(tx, kDeleteTagMembershipBothWays, user_id, friend_id);
    return absl::OkStatus();
  });
}

absl::StatusOr<v1::Friend> IdentityStore::GetFriend(int64_t user_id, int64_t friend_id) {
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<v1::Friend> {
    return LoadFriend(tx, user_id, friend_id);
  });
}

absl::StatusOr<std::vector<v1::Friend>> IdentityStore::ListFriends(int64_t user_id,
                                                                   int64_t after_user_id,
                                                                   int limit) {
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<std::vector<v1::Friend>> {
    std::vector<v1::Friend> friends;
    for (const auto& row : pg::Exec(
             tx,
             std::string("SELECT ") + kFriendColumns +
                 " FROM identity.friendships f JOIN identity.users u ON u.user_id = f.friend_id "
                 "WHERE f.user_id = $1 AND f.friend_id > $2 ORDER BY f.friend_id LIMIT $3",
             user_id, after_user_id, limit)) {
      friends.push_back(FriendFrom(row));
    }
    return friends;
  });
}

absl::StatusOr<v1::Friend> IdentityStore::SetRemark(int64_t user_id, int64_t friend_id,
                                                    const std::string& remark) {
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<v1::Friend> {
    pg::Exec(tx,
             "UPDATE identity.friendships SET remark = $3 WHERE user_id = $1 AND friend_id = $2",
             user_id, friend_id, remark);
    return LoadFriend(tx, user_id, friend_id);
  });
}

absl::Status IdentityStore::Block(int64_t user_id, int64_t blocked_user_id) {
  int64_t now = core::UnixMicros(clock_.Now());
  return pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    if (pg::Exec(tx, "SELECT 1 FROM identity.users WHERE user_id = $1", blocked_user_id).empty()) {
      return NotFound("USER_NOT_FOUND", "no such user");
    }
    pg::Exec(tx,
             "INSERT INTO identity.blocks (user_id, blocked_user_id) VALUES ($1, $2) "
             "ON CONFLICT DO NOTHING",
             user_id, blocked_user_id);
    pg::Exec(tx, kDeleteFriendshipBothWays, user_id, blocked_user_id);
    pg::Exec(tx, kDeleteTagMembershipBothWays, user_id, blocked_user_id);
    pg::Exec(tx, kDeclinePendingBetween, user_id, blocked_user_id, now);
    return absl::OkStatus();
  });
}

absl::Status IdentityStore::Unblock(int64_t user_id, int64_t blocked_user_id) {
  return pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    if (pg::Exec(tx, "DELETE FROM identity.blocks WHERE user_id = $1 AND blocked_user_id = $2",
                 user_id, blocked_user_id)
            .affected_rows() == 0) {
      return NotFound("NOT_BLOCKED", "that user is not blocked");
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<v1::Profile>> IdentityStore::ListBlocked(int64_t user_id,
                                                                    int64_t after_user_id,
                                                                    int limit) {
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<std::vector<v1::Profile>> {
    std::vector<v1::Profile> profiles;
    for (const auto& row :
         pg::Exec(tx,
                  "SELECT u.user_id, coalesce(u.plaza_id, ''), u.display_name, u.avatar, u.region, "
                  "u.signature, u.gender FROM identity.blocks b JOIN identity.users u ON "
                  "u.user_id = b.blocked_user_id WHERE b.user_id = $1 AND b.blocked_user_id > $2 "
                  "ORDER BY b.blocked_user_id LIMIT $3",
                  user_id, after_user_id, limit)) {
      profiles.push_back(ProfileFrom(row));
    }
    return profiles;
  });
}

absl::StatusOr<v1::Tag> IdentityStore::CreateTag(int64_t user_id, const std::string& name,
                                                 const std::vector<int64_t>& member_ids) {
  int64_t tag_id = ids_.Next();
  auto created = pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<v1::Tag> {
    // Serialise this user's tag changes so the tag limit holds under concurrency.
    pg::Exec(tx, "SELECT 1 FROM identity.users WHERE user_id = $1 FOR UPDATE", user_id);
    if (pg::Exec1(tx, "SELECT count(*) FROM identity.tags WHERE user_id = $1", user_id)[0]
            .as<int>() >= kMaxTags) {
      return FailedPrecondition("TOO_MANY_TAGS", "a user may have at most 100 tags");
    }
    PLAZA_RETURN_IF_ERROR(RequireFriends(tx, user_id, member_ids));
    pg::Exec(tx, "INSERT INTO identity.tags (user_id, tag_id, name) VALUES ($1, $2, $3)", user_id,
             tag_id, name);
    ReplaceTagMembers(tx, user_id, tag_id, member_ids);
    return LoadTag(tx, user_id, tag_id);
  });
  if (created.status().code() == absl::StatusCode::kAlreadyExists) {
    return AlreadyExists("TAG_NAME_TAKEN", "you already have a tag with that name");
  }
  return created;
}

absl::StatusOr<v1::Tag> IdentityStore::UpdateTag(int64_t user_id, int64_t tag_id,
                                                 const std::string& name,
                                                 const std::vector<int64_t>& member_ids) {
  auto updated = pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<v1::Tag> {
    if (pg::Exec(tx, "UPDATE identity.tags SET name = $3 WHERE user_id = $1 AND tag_id = $2",
                 user_id, tag_id, name)
            .affected_rows() == 0) {
      return NotFound("TAG_NOT_FOUND", "no such tag");
    }
    PLAZA_RETURN_IF_ERROR(RequireFriends(tx, user_id, member_ids));
    ReplaceTagMembers(tx, user_id, tag_id, member_ids);
    return LoadTag(tx, user_id, tag_id);
  });
  if (updated.status().code() == absl::StatusCode::kAlreadyExists) {
    return AlreadyExists("TAG_NAME_TAKEN", "you already have a tag with that name");
  }
  return updated;
}

absl::Status IdentityStore::DeleteTag(int64_t user_id, int64_t tag_id) {
  return pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    if (pg::Exec(tx, "DELETE FROM identity.tags WHERE user_id = $1 AND tag_id = $2", user_id,
                 tag_id)
            .affected_rows() == 0) {
      return NotFound("TAG_NOT_FOUND", "no such tag");
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<v1::Tag>> IdentityStore::ListTags(int64_t user_id) {
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<std::vector<v1::Tag>> {
    std::vector<v1::Tag> tags;
    for (const auto& row : pg::Exec(tx, std::string(kSelectTags) + " ORDER BY t.tag_id", user_id)) {
      tags.push_back(TagFrom(row));
    }
    return tags;
  });
}

absl::StatusOr<std::vector<v1::DiscoveredContact>> IdentityStore::DiscoverByPhoneHash(
    int64_t user_id, const std::vector<std::string>& phone_hashes) {
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<std::vector<v1::DiscoveredContact>> {
    std::vector<v1::DiscoveredContact> contacts;
    for (const auto& row : pg::Exec(
             tx,
             "SELECT u.phone_hash, u.user_id, coalesce(u.plaza_id, ''), u.display_name, u.avatar, "
             "u.region, u.signature, u.gender, EXISTS (SELECT 1 FROM identity.friendships f WHERE "
             "f.user_id = $1 AND f.friend_id = u.user_id) FROM identity.users u WHERE "
             "u.phone_hash = ANY($2::text[]) AND u.findable_by_phone AND u.user_id <> $1 AND NOT "
             "EXISTS "
             "(SELECT 1 FROM identity.blocks b WHERE (b.user_id = $1 AND b.blocked_user_id = "
             "u.user_id) "
             "OR (b.user_id = u.user_id AND b.blocked_user_id = $1)) ORDER BY u.user_id",
             user_id, ArrayLiteral(phone_hashes))) {
      auto& contact = contacts.emplace_back();
      contact.set_phone_hash(row[0].as<std::string>());
      *contact.mutable_profile() = ProfileFrom(row, 1);
      contact.set_is_friend(row[8].as<bool>());
    }
    return contacts;
  });
}

absl::StatusOr<std::vector<v1::FriendTags>> IdentityStore::FriendIdsWithTags(int64_t user_id) {
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<std::vector<v1::FriendTags>> {
    std::vector<v1::FriendTags> friends;
    for (const auto& row : pg::Exec(
             tx,
             "SELECT f.friend_id, coalesce((SELECT array_agg(m.tag_id ORDER BY m.tag_id) FROM "
             "identity.tag_members m WHERE m.user_id = f.user_id AND m.friend_id = f.friend_id), "
             "'{}') "
             "FROM identity.friendships f WHERE f.user_id = $1 ORDER BY f.friend_id LIMIT $2",
             user_id, kMaxFriends)) {
      auto& entry = friends.emplace_back();
      entry.set_user_id(row[0].as<int64_t>());
      for (int64_t tag : IdArray(row[1])) entry.add_tag_ids(tag);
    }
    return friends;
  });
}

}  // namespace plaza::identity
