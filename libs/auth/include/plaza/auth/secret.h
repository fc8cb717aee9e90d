#pragma once

// Secrets at rest and random values (libsodium). Every function here is thread-safe.

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace plaza::auth {

enum class HashStrength {
  // Argon2id with libsodium's OPSLIMIT/MEMLIMIT_INTERACTIVE (2 passes, 64 MiB): production.
  kInteractive,
  // Argon2id with the minimum limits (1 pass, 8 KiB). Offers almost no protection against
  // guessing; it exists only so unit tests and local clusters do not spend 64 MiB and tens of
  // milliseconds per hash. Never configure it in a deployment.
  kFastForTests,
};

// An Argon2id hash of `secret` in the self-describing PHC string form ("$argon2id$v=19$m=...")
// with a fresh random salt, so equal secrets give different hashes. INTERNAL with reason
// "SECRET_HASH_FAILED" if the memory for the hash cannot be allocated.
absl::StatusOr<std::string> HashSecret(std::string_view secret, HashStrength strength);

// True if `hash` (from HashSecret, at any strength) matches `secret`. A malformed hash is
// simply false. Runs in time independent of where a wrong secret differs.
bool VerifySecret(std::string_view hash, std::string_view secret);

// True if `hash` was made with other limits than `strength` (or is malformed), so it should be
// replaced by HashSecret(secret, strength) the next time the secret is presented.
bool SecretNeedsRehash(std::string_view hash, HashStrength strength);

// `bytes` bytes from the system CSPRNG, base64url without padding (43 characters for 32 bytes).
std::string RandomToken(size_t bytes);

// Lower-case hex SHA-256 of `data` (64 characters).
std::string Sha256Hex(std::string_view data);

// `a == b` in time that depends only on the lengths, for comparing secrets or their digests.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace plaza::auth
