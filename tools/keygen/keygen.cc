#include "tools/keygen/keygen.h"

#include <ctime>

#include "plaza/core/status.h"

namespace plaza::keygen {
namespace {

// auth::GenerateKeyPair aborts on a bad kid and the kid rule is internal to plaza_auth, so the
// pair is made under this valid name and renamed; Signer::Create then judges the requested
// kid with the same parser identity uses at start-up.
constexpr std::string_view kProvisionalKeyId = "provisional";

std::string Rename(std::string_view key, std::string_view key_id) {
  return std::string(key_id) + std::string(key.substr(kProvisionalKeyId.size()));
}

}  // namespace

std::string DefaultKeyId(core::TimePoint now) {
  std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[16];
  std::strftime(text, sizeof text, "k%Y%m%d", &utc);
  return text;
}

absl::StatusOr<auth::KeyPair> NewKeyPair(std::string_view key_id) {
  auth::KeyPair provisional = auth::GenerateKeyPair(kProvisionalKeyId);
  auth::KeyPair pair{.signing_key = Rename(provisional.signing_key, key_id),
                     .public_key = Rename(provisional.public_key, key_id)};
  absl::StatusOr<auth::Signer> signer = auth::Signer::Create(pair.signing_key);
  // The seed is fresh, so only the kid can be wrong. Signer::Create ignores surrounding
  // whitespace, so " k1" parses; the printed key must not carry it.
  if (!signer.ok() || signer->key_id() != key_id) {
    return InvalidArgument(auth::kSigningKeyInvalid,
                           "a key id is 1..64 characters of [A-Za-z0-9._-]");
  }
  return pair;
}

absl::StatusOr<std::string> AddPublicKey(std::string_view public_keys, std::string_view added) {
  // The set is often pasted from an env file; a line break inside the printed line would cut it.
  constexpr std::string_view kSpace = " \t\r\n";
  size_t begin = public_keys.find_first_not_of(kSpace);
  size_t end = public_keys.find_last_not_of(kSpace);
  std::string_view existing =
      begin == std::string_view::npos ? "" : public_keys.substr(begin, end - begin + 1);
  std::string combined = std::string(existing) + "," + std::string(added);
  // Parsed as every service will parse it, which also refuses a kid that is already there.
  auto verifier = auth::Verifier::Create(combined, core::SystemClock::Instance());
  if (!verifier.ok()) return verifier.status();
  return combined;
}

}  // namespace plaza::keygen
