#pragma once

// Internal to plaza_auth (shared by its sources and tests); not part of its API.

#include <optional>
#include <string>
#include <string_view>

#include "plaza/auth/token.h"

namespace plaza::auth::internal {

// Calls sodium_init() once per process. Thread-safe. Aborts if libsodium cannot initialise
// (it then has no usable random source, and nothing here is safe).
void EnsureSodium();

enum class Base64 {
  kStandard,      // RFC 4648 §4 with padding: key strings in configuration
  kUrlNoPadding,  // RFC 4648 §5 without padding: tokens
};
std::string Base64Encode(std::string_view bytes, Base64 variant);
// The decoded bytes, or nullopt unless all of `text` is one canonical encoding (no whitespace,
// no stray characters, no non-zero padding bits).
std::optional<std::string> Base64Decode(std::string_view text, Base64 variant);

// `text` without leading and trailing spaces, tabs and line breaks (configuration values often
// come from files that end in a newline).
std::string_view TrimSpace(std::string_view text);

// 1..kMaxKeyIdBytes of [A-Za-z0-9._-], so a kid never collides with the ':' and ',' of the key
// string syntax.
bool IsValidKeyId(std::string_view key_id);

// Claims encoding, version 1. Integers are big-endian, strings are a one-byte length then bytes:
//   u8 version=1 | u8 kind | str key_id | i64 user_id | str device_id | i64 session_id |
//   i64 issued_at (unix s) | i64 expires_at (unix s) | str subject
// Precondition of Encode (aborts otherwise): strings fit their limits, times in [epoch, max].
std::string EncodeClaims(const Claims& claims);
// nullopt unless `bytes` is exactly one version-1 encoding: truncated input, trailing bytes, an
// unknown version, an invalid kid or a time outside [epoch, max TimePoint] are all refused. The
// kind byte is not checked against the known kinds; the caller compares it with the expected
// one.
std::optional<Claims> DecodeClaims(std::string_view bytes);

}  // namespace plaza::auth::internal
