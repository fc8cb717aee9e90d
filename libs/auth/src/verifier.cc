#include <sodium.h>

#include <algorithm>
#include <functional>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <unordered_map>

#include "plaza/auth/internal/codec.h"
#include "plaza/auth/token.h"
#include "plaza/core/status.h"

namespace plaza::auth {
namespace {

using internal::Base64;

absl::Status Malformed(std::string_view message) {
  return Unauthenticated(kTokenMalformed, message);
}

absl::Status BadPublicKeys(size_t entry, std::string_view problem) {
  return InvalidArgument(kPublicKeysInvalid,
                         "public key set entry " + std::to_string(entry) +
                             " (of \"<kid>:<base64 key>,...\"): " + std::string(problem));
}

}  // namespace

// Two generations instead of an LRU list: lookups need only a shared lock and no bookkeeping,
// and a full cache costs one swap instead of a scan. A token still in use when its generation
// is retired is promoted on its next hit, so hot tokens stay.
class Verifier::Cache {
 public:
  explicit Cache(size_t capacity) : generation_capacity_(std::max<size_t>(1, capacity / 2)) {}

  std::optional<Claims> Find(std::string_view token) {
    Claims claims;
    {
      std::shared_lock lock(mutex_);
      if (auto it = current_.find(token); it != current_.end()) return it->second;
      auto it = previous_.find(token);
      if (it == previous_.end()) return std::nullopt;
      claims = it->second;
    }
    Insert(token, claims);
    return claims;
  }

  void Insert(std::string_view token, const Claims& claims) {
    std::lock_guard lock(mutex_);
    if (current_.size() >= generation_capacity_) {
      previous_ = std::move(current_);
      current_.clear();
    }
    current_.try_emplace(std::string(token), claims);
  }

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
  };
  using Map = std::unordered_map<std::string, Claims, Hash, std::equal_to<>>;

  const size_t generation_capacity_;
  std::shared_mutex mutex_;
  Map current_;
  Map previous_;
};

Verifier::Verifier(const core::Clock& clock, VerifierOptions options)
    : clock_(&clock),
      options_(options),
      cache_(options.cache_capacity > 0 ? std::make_unique<Cache>(options.cache_capacity)
                                        : nullptr) {}

Verifier::Verifier(Verifier&&) noexcept = default;
Verifier& Verifier::operator=(Verifier&&) noexcept = default;
Verifier::~Verifier() = default;

absl::StatusOr<Verifier> Verifier::Create(std::string_view public_keys, const core::Clock& clock,
                                          VerifierOptions options) {
  internal::EnsureSodium();
  Verifier verifier(clock, options);
  size_t entry_number = 0;
  for (size_t begin = 0; begin <= public_keys.size();) {
    size_t end = std::min(public_keys.find(',', begin), public_keys.size());
    std::string_view entry = internal::TrimSpace(public_keys.substr(begin, end - begin));
    begin = end + 1;
    ++entry_number;
    if (entry.empty()) return BadPublicKeys(entry_number, "empty");
    size_t colon = entry.find(':');
    if (colon == std::string_view::npos) return BadPublicKeys(entry_number, "no ':' after the kid");
    std::string_view key_id = entry.substr(0, colon);
    if (!internal::IsValidKeyId(key_id)) {
      return BadPublicKeys(entry_number, "the kid must be 1..64 characters of [A-Za-z0-9._-]");
    }
    std::optional<std::string> key =
        internal::Base64Decode(entry.substr(colon + 1), Base64::kStandard);
    if (!key.has_value() || key->size() != crypto_sign_PUBLICKEYBYTES) {
      return BadPublicKeys(entry_number, "the key of kid '" + std::string(key_id) +
                                             "' is not standard base64 of exactly 32 bytes");
    }
    if (!verifier.public_keys_.try_emplace(std::string(key_id), *std::move(key)).second) {
      return BadPublicKeys(entry_number, "kid '" + std::string(key_id) + "' appears twice");
    }
  }
  return verifier;
}

absl::StatusOr<Claims> Verifier::Verify(std::string_view token, TokenKind expected_kind) const {
  if (token.size() > kMaxTokenBytes) return Malformed("token is longer than 4096 bytes");
  std::optional<Claims> cached = cache_ != nullptr ? cache_->Find(token) : std::nullopt;
  Claims claims;
  if (cached.has_value()) {
    claims = *std::move(cached);
  } else {
    PLAZA_ASSIGN_OR_RETURN(claims, VerifySignature(token));
  }
  // Everything time- or use-dependent is checked on cache hits too: the cache only vouches for
  // the signature.
  if (claims.kind != expected_kind) {
    return Unauthenticated(kTokenWrongKind, "this is a " + std::string(TokenKindName(claims.kind)) +
                                                " token, expected " +
                                                std::string(TokenKindName(expected_kind)));
  }
  core::TimePoint now = clock_->Now();
  if (claims.issued_at > now + options_.max_clock_skew) {
    return Unauthenticated(kTokenNotYetValid, "token is issued in the future");
  }
  if (now >= claims.expires_at) return Unauthenticated(kTokenExpired, "token has expired");
  if (!cached.has_value() && cache_ != nullptr) cache_->Insert(token, claims);
  return claims;
}

absl::StatusOr<Claims> Verifier::VerifySignature(std::string_view token) const {
  size_t dot = token.find('.');
  if (dot == std::string_view::npos) return Malformed("token has no '.'");
  std::optional<std::string> bytes =
      internal::Base64Decode(token.substr(0, dot), Base64::kUrlNoPadding);
  std::optional<std::string> signature =
      internal::Base64Decode(token.substr(dot + 1), Base64::kUrlNoPadding);
  if (!bytes.has_value() || !signature.has_value() || signature->size() != crypto_sign_BYTES) {
    return Malformed("token is not <base64url claims>.<base64url signature>");
  }
  // The kid must be read before the signature can be checked; the decoder is strict and
  // bounded, so parsing unauthenticated bytes is safe.
  std::optional<Claims> claims = internal::DecodeClaims(*bytes);
  if (!claims.has_value()) return Malformed("token claims do not decode");
  auto key = public_keys_.find(claims->key_id);
  if (key == public_keys_.end()) {
    return Unauthenticated(kTokenUnknownKey,
                           "token is signed by unknown key id '" + claims->key_id + "'");
  }
  if (crypto_sign_verify_detached(
          reinterpret_cast<const unsigned char*>(signature->data()),
          reinterpret_cast<const unsigned char*>(bytes->data()), bytes->size(),
          reinterpret_cast<const unsigned char*>(key->second.data())) != 0) {
    return Unauthenticated(kTokenBadSignature, "token signature does not verify");
  }
  return *std::move(claims);
}

}  // namespace plaza::auth
