#include "plaza/auth/token.h"

#include <sodium.h>

#include <cstdio>
#include <cstdlib>

#include "plaza/auth/internal/codec.h"
#include "plaza/core/status.h"

namespace plaza::auth {
namespace {

using internal::Base64;

std::string RawBytes(const unsigned char* data, size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

absl::Status BadSigningKey(std::string_view problem) {
  return InvalidArgument(kSigningKeyInvalid,
                         std::string("signing key must look like <kid>:<base64 of a 32-byte "
                                     "seed>: ") +
                             std::string(problem));
}

}  // namespace

std::string_view TokenKindName(TokenKind kind) {
  switch (kind) {
    case TokenKind::kAccess:
      return "access";
    case TokenKind::kQrAddFriend:
      return "qr_add_friend";
  }
  return "unknown";
}

KeyPair GenerateKeyPair(std::string_view key_id) {
  if (!internal::IsValidKeyId(key_id)) {
    std::fprintf(stderr, "plaza::auth: key id must be 1..%zu characters of [A-Za-z0-9._-]\n",
                 kMaxKeyIdBytes);
    std::abort();
  }
  internal::EnsureSodium();
  unsigned char seed[crypto_sign_SEEDBYTES];
  unsigned char public_key[crypto_sign_PUBLICKEYBYTES];
  unsigned char secret_key[crypto_sign_SECRETKEYBYTES];
  randombytes_buf(seed, sizeof seed);
  crypto_sign_seed_keypair(public_key, secret_key, seed);
  std::string id(key_id);
  KeyPair pair{
      .signing_key =
          id + ":" + internal::Base64Encode(RawBytes(seed, sizeof seed), Base64::kStandard),
      .public_key =
          id + ":" +
          internal::Base64Encode(RawBytes(public_key, sizeof public_key), Base64::kStandard),
  };
  sodium_memzero(seed, sizeof seed);
  sodium_memzero(secret_key, sizeof secret_key);
  return pair;
}

absl::StatusOr<Signer> Signer::Create(std::string_view signing_key) {
  static_assert(sizeof(Signer::secret_key_) == crypto_sign_SECRETKEYBYTES);
  internal::EnsureSodium();
  signing_key = internal::TrimSpace(signing_key);
  size_t colon = signing_key.find(':');
  if (colon == std::string_view::npos) return BadSigningKey("no ':' after the key id");
  std::string_view key_id = signing_key.substr(0, colon);
  if (!internal::IsValidKeyId(key_id)) {
    return BadSigningKey("the key id must be 1..64 characters of [A-Za-z0-9._-]");
  }
  std::optional<std::string> seed =
      internal::Base64Decode(signing_key.substr(colon + 1), Base64::kStandard);
  if (!seed.has_value() || seed->size() != crypto_sign_SEEDBYTES) {
    if (seed.has_value()) sodium_memzero(seed->data(), seed->size());
    return BadSigningKey("the seed is not standard base64 of exactly 32 bytes");
  }
  Signer signer;
  signer.key_id_ = std::string(key_id);
  unsigned char public_key[crypto_sign_PUBLICKEYBYTES];
  crypto_sign_seed_keypair(public_key, signer.secret_key_,
                           reinterpret_cast<const unsigned char*>(seed->data()));
  sodium_memzero(seed->data(), seed->size());
  return signer;
}

Signer::~Signer() { sodium_memzero(secret_key_, sizeof secret_key_); }

std::string Signer::public_key() const {
  unsigned char public_key[crypto_sign_PUBLICKEYBYTES];
  crypto_sign_ed25519_sk_to_pk(public_key, secret_key_);
  return key_id_ + ":" +
         internal::Base64Encode(RawBytes(public_key, sizeof public_key), Base64::kStandard);
}

std::string Signer::Sign(const Claims& claims) const {
  Claims signed_claims = claims;
  signed_claims.key_id = key_id_;
  std::string bytes = internal::EncodeClaims(signed_claims);
  unsigned char signature[crypto_sign_BYTES];
  crypto_sign_detached(signature, nullptr, reinterpret_cast<const unsigned char*>(bytes.data()),
                       bytes.size(), secret_key_);
  return internal::Base64Encode(bytes, Base64::kUrlNoPadding) + "." +
         internal::Base64Encode(RawBytes(signature, sizeof signature), Base64::kUrlNoPadding);
}

}  // namespace plaza::auth
