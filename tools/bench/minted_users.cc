#include "tools/bench/minted_users.h"

#include <random>
#include <unordered_set>

#include "plaza/auth/token.h"
#include "plaza/core/status.h"

namespace plaza::bench {

absl::StatusOr<std::vector<MintedUser>> MintUsers(std::string_view signing_key, size_t count,
                                                  std::chrono::seconds lifetime) {
  PLAZA_ASSIGN_OR_RETURN(auth::Signer signer, auth::Signer::Create(signing_key));
  std::random_device seed;
  std::mt19937_64 random(seed());
  std::uniform_int_distribution<int64_t> user_ids(kFirstUserId, kLastUserId);
  std::uniform_int_distribution<int64_t> session_ids(1, (int64_t{1} << 62) - 1);
  const auto now =
      std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());

  std::vector<MintedUser> users;
  users.reserve(count);
  std::unordered_set<int64_t> taken;
  while (users.size() < count) {
    int64_t user_id = user_ids(random);
    if (!taken.insert(user_id).second) continue;
    MintedUser user{.user_id = user_id,
                    .device_id = "bench-" + std::to_string(users.size()),
                    .session_id = session_ids(random)};
    auth::Claims claims{.kind = auth::TokenKind::kAccess,
                        .user_id = user.user_id,
                        .device_id = user.device_id,
                        .session_id = user.session_id,
                        .issued_at = now,
                        .expires_at = now + lifetime};
    user.authorization = "Bearer " + signer.Sign(claims);
    users.push_back(std::move(user));
  }
  return users;
}

}  // namespace plaza::bench
