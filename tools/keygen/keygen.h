#pragma once

// What plaza-keygen computes: fresh access-token key pairs in the configuration encodings of
// plaza/auth/token.h, and the public key set that accepts old and new keys during a rotation.

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "plaza/auth/token.h"
#include "plaza/core/clock.h"

namespace plaza::keygen {

// "k" followed by the UTC date of `now`, e.g. "k20261121": one key a day sorts and reads well.
std::string DefaultKeyId(core::TimePoint now);

// A fresh key pair named `key_id`. INVALID_ARGUMENT with reason auth::kSigningKeyInvalid if
// `key_id` is not a valid kid (1..64 characters of [A-Za-z0-9._-]).
absl::StatusOr<auth::KeyPair> NewKeyPair(std::string_view key_id);

// `public_keys` (an existing set, surrounding whitespace ignored) followed by `added` (a
// one-entry set such as KeyPair::public_key). INVALID_ARGUMENT with reason
// auth::kPublicKeysInvalid if the existing set is malformed or already holds added's kid.
absl::StatusOr<std::string> AddPublicKey(std::string_view public_keys, std::string_view added);

}  // namespace plaza::keygen
