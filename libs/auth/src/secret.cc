#include "plaza/auth/secret.h"

#include <sodium.h>

#include "plaza/auth/internal/codec.h"
#include "plaza/core/status.h"

namespace plaza::auth {
namespace {

struct PwhashLimits {
  unsigned long long opslimit;
  size_t memlimit;
};

PwhashLimits LimitsFor(HashStrength strength) {
  switch (strength) {
    case HashStrength::kInteractive:
      return {crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE};
    case HashStrength::kFastForTests:
      return {crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN};
  }
  // A value outside the enum gets the production limits: erring strong is only slower.
  return {crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE};
}

// libsodium wants the hash as a NUL-terminated string that fits crypto_pwhash_STRBYTES.
bool FitsPwhashString(std::string_view hash) {
  return hash.size() < crypto_pwhash_STRBYTES && hash.find('\0') == std::string_view::npos;
}

}  // namespace

absl::StatusOr<std::string> HashSecret(std::string_view secret, HashStrength strength) {
  internal::EnsureSodium();
  PwhashLimits limits = LimitsFor(strength);
  char hash[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(hash, secret.data(), secret.size(), limits.opslimit, limits.memlimit,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return Internal("SECRET_HASH_FAILED", "out of memory while hashing a secret");
  }
  return std::string(hash);
}

bool VerifySecret(std::string_view hash, std::string_view secret) {
  internal::EnsureSodium();
  if (!FitsPwhashString(hash)) return false;
  std::string terminated(hash);
  return crypto_pwhash_str_verify(terminated.c_str(), secret.data(), secret.size()) == 0;
}

bool SecretNeedsRehash(std::string_view hash, HashStrength strength) {
  internal::EnsureSodium();
  if (!FitsPwhashString(hash)) return true;
  std::string terminated(hash);
  PwhashLimits limits = LimitsFor(strength);
  return crypto_pwhash_str_needs_rehash(terminated.c_str(), limits.opslimit, limits.memlimit) != 0;
}

std::string RandomToken(size_t bytes) {
  internal::EnsureSodium();
  std::string random(bytes, '\0');
  randombytes_buf(random.data(), random.size());
  return internal::Base64Encode(random, internal::Base64::kUrlNoPadding);
}

std::string Sha256Hex(std::string_view data) {
  internal::EnsureSodium();
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  char hex[crypto_hash_sha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return std::string(hex, crypto_hash_sha256_BYTES * 2);
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  internal::EnsureSodium();
  return a.size() == b.size() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace plaza::auth
