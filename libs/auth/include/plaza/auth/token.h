#pragma once

// Signed bearer tokens (Ed25519, libsodium).
//
// Wire format: `<claims>.<signature>`, both base64url without padding. <claims> is the versioned
// binary encoding of Claims (internal/codec.h); <signature> is the 64-byte Ed25519 signature of
// those claim bytes. The token kind is inside the signed bytes, so a token minted for one purpose
// (say, a QR "add friend" code) is refused where another is expected (an access token).
//
// Only the identity service holds a signing key (Signer). Every other service verifies locally
// with the public keys (Verifier), which may hold several key ids at once so that the signing key
// can be rotated without logging anyone out: publish old+new public keys, switch the signer,
// drop the old key once its last token has expired.
//
// Key text encodings, as they appear in configuration:
//   signing key     "<kid>:<standard base64 of the 32-byte Ed25519 seed>"
//   public key set  "<kid1>:<standard base64 of the 32-byte public key>,<kid2>:<...>"
// A kid is 1..64 characters of [A-Za-z0-9._-].

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "plaza/core/clock.h"

namespace plaza::auth {

// What a token may be used for. Values are part of the signed wire format: never renumber.
enum class TokenKind : uint8_t {
  kAccess = 1,       // bearer token for every RPC, about 15 minutes
  kQrAddFriend = 2,  // shown as a QR code; `subject` names what it grants
};

// Stable name for logs and error messages, e.g. "access".
std::string_view TokenKindName(TokenKind kind);

struct Claims {
  std::string key_id;  // kid of the signing key; set by Signer::Sign, ignored on input
  TokenKind kind = TokenKind::kAccess;
  int64_t user_id = 0;
  std::string device_id;  // at most kMaxFieldBytes
  int64_t session_id = 0;
  core::TimePoint issued_at;   // whole seconds on the wire; sub-second parts are dropped
  core::TimePoint expires_at;  // the token is refused from this instant on
  std::string subject;         // small payload for non-access kinds; at most kMaxFieldBytes

  bool operator==(const Claims&) const = default;
};

inline constexpr size_t kMaxKeyIdBytes = 64;
inline constexpr size_t kMaxFieldBytes = 255;
// Verifier refuses longer input before decoding anything. Every token Sign() can produce is
// far below it (under 1 KiB); an access token is about 200 characters.
inline constexpr size_t kMaxTokenBytes = 4096;

// Reasons (plaza::ReasonOf) of Verifier refusals, all UNAUTHENTICATED.
inline constexpr std::string_view kTokenMalformed = "TOKEN_MALFORMED";
inline constexpr std::string_view kTokenUnknownKey = "TOKEN_UNKNOWN_KEY";
inline constexpr std::string_view kTokenBadSignature = "TOKEN_BAD_SIGNATURE";
inline constexpr std::string_view kTokenExpired = "TOKEN_EXPIRED";
inline constexpr std::string_view kTokenNotYetValid = "TOKEN_NOT_YET_VALID";
inline constexpr std::string_view kTokenWrongKind = "TOKEN_WRONG_KIND";
// Reasons of key parsing errors, all INVALID_ARGUMENT.
inline constexpr std::string_view kSigningKeyInvalid = "SIGNING_KEY_INVALID";
inline constexpr std::string_view kPublicKeysInvalid = "PUBLIC_KEYS_INVALID";

// A fresh key pair in the text encodings above.
struct KeyPair {
  std::string signing_key;  // secret: "<kid>:<base64 seed>"
  std::string public_key;   // "<kid>:<base64 public key>", a one-entry public key set
};

// Generates a key pair from the system CSPRNG. Aborts if `key_id` is not a valid kid (a
// configuration error of the caller).
KeyPair GenerateKeyPair(std::string_view key_id);

// Mints tokens with one private key. Immutable after creation, so Sign() is thread-safe.
// The key material is wiped from memory when the Signer is destroyed.
class Signer {
 public:
  // Parses a signing key string. Surrounding whitespace is ignored. INVALID_ARGUMENT with reason
  // kSigningKeyInvalid if it is malformed; the message never quotes the input.
  static absl::StatusOr<Signer> Create(std::string_view signing_key);

  Signer(const Signer& other) = default;
  Signer& operator=(const Signer& other) = default;
  ~Signer();

  const std::string& key_id() const { return key_id_; }
  // This key's public half as a one-entry public key set.
  std::string public_key() const;

  // Returns the token for `claims`, with claims.key_id replaced by this signer's kid.
  // Precondition (aborts otherwise): device_id and subject are at most kMaxFieldBytes, and
  // issued_at/expires_at are not before the Unix epoch.
  std::string Sign(const Claims& claims) const;

 private:
  Signer() = default;

  std::string key_id_;
  unsigned char secret_key_[64] = {};  // libsodium's seed || public key layout
};

struct VerifierOptions {
  // How far issued_at may lie in the verifier's future (clocks of hosts disagree a little).
  std::chrono::seconds max_clock_skew{30};
  // Verified tokens remembered so that hot tokens skip the signature check; 0 disables.
  // Expiry and kind are still checked on every call.
  size_t cache_capacity = 10'000;
};

// Checks tokens against a set of public keys. Thread-safe: Verify() may be called concurrently.
class Verifier {
 public:
  // Parses a public key set string (see the top of this file). Whitespace around entries is
  // ignored. INVALID_ARGUMENT with reason kPublicKeysInvalid if the set is empty, an entry is
  // malformed, or a kid repeats. `clock` must outlive the Verifier.
  static absl::StatusOr<Verifier> Create(std::string_view public_keys, const core::Clock& clock,
                                         VerifierOptions options = {});

  Verifier(Verifier&&) noexcept;
  Verifier& operator=(Verifier&&) noexcept;
  ~Verifier();

  // The claims of `token` if it is well formed, signed by one of the keys, of
  // `expected_kind`, issued no later than now + max_clock_skew and not yet expired. Otherwise
  // UNAUTHENTICATED with reason kTokenMalformed, kTokenUnknownKey, kTokenBadSignature,
  // kTokenWrongKind, kTokenNotYetValid or kTokenExpired (checked in that order). Messages
  // never quote the token, except for the kid of an unknown key.
  absl::StatusOr<Claims> Verify(std::string_view token, TokenKind expected_kind) const;

 private:
  class Cache;

  Verifier(const core::Clock& clock, VerifierOptions options);
  absl::StatusOr<Claims> VerifySignature(std::string_view token) const;

  const core::Clock* clock_;
  VerifierOptions options_;
  std::map<std::string, std::string, std::less<>> public_keys_;  // kid -> 32 raw bytes
  std::unique_ptr<Cache> cache_;                                 // null when disabled
};

}  // namespace plaza::auth
