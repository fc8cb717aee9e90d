#include "services/groups/invite_token.h"

#include <sodium.h>

#include <array>

#include "plaza/core/status.h"

namespace plaza::groups {
namespace {

constexpr std::string_view kPrefix = "pgi1.";
constexpr std::string_view kDomain = "plaza.groups.invite.v1";
constexpr size_t kBodyBytes = 4 * 8;
constexpr size_t kMacBytes = crypto_auth_hmacsha256_BYTES;

void PutInt64(std::string& out, int64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((static_cast<uint64_t>(value) >> shift) & 0xFF));
  }
}

int64_t GetInt64(std::string_view bytes, size_t offset) {
  uint64_t value = 0;
  for (size_t i = 0; i < 8; ++i)
    value = (value << 8) | static_cast<unsigned char>(bytes[offset + i]);
  return static_cast<int64_t>(value);
}

absl::Status Invalid() {
  return InvalidArgument("INVITE_INVALID", "this is not a valid Plaza group invitation");
}

}  // namespace

absl::StatusOr<InviteSigner> InviteSigner::Create(std::string key) {
  if (key.size() < kMinKeyBytes) {
    return absl::InvalidArgumentError("the invitation signing key needs at least 32 bytes");
  }
  // Idempotent and thread-safe; libsodium wants it before first use.
  if (sodium_init() < 0) return absl::InternalError("libsodium could not initialise");
  return InviteSigner(std::move(key));
}

std::string InviteSigner::Mac(std::string_view body) const {
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(key_.data()),
                              key_.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(kDomain.data()),
                                kDomain.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(body.data()),
                                body.size());
  std::array<unsigned char, kMacBytes> mac;
  crypto_auth_hmacsha256_final(&state, mac.data());
  return std::string(reinterpret_cast<const char*>(mac.data()), mac.size());
}

std::string InviteSigner::Sign(const InviteClaims& claims) const {
  std::string bytes;
  PutInt64(bytes, claims.group_id);
  PutInt64(bytes, claims.invite_id);
  PutInt64(bytes, claims.creator_id);
  PutInt64(bytes, core::UnixSeconds(claims.expires_at));
  bytes += Mac(bytes);
  std::string encoded(
      sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
  sodium_bin2base64(encoded.data(), encoded.size(),
                    reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  encoded.resize(encoded.size() - 1);  // the terminating NUL
  return std::string(kPrefix) + encoded;
}

absl::StatusOr<InviteClaims> InviteSigner::Verify(std::string_view payload,
                                                  core::TimePoint now) const {
  if (!payload.starts_with(kPrefix)) return Invalid();
  payload.remove_prefix(kPrefix.size());
  std::array<unsigned char, kBodyBytes + kMacBytes> decoded;
  size_t decoded_size = 0;
  const char* end = nullptr;
  if (sodium_base642bin(decoded.data(), decoded.size(), payload.data(), payload.size(), nullptr,
                        &decoded_size, &end, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
      end != payload.data() + payload.size() || decoded_size != decoded.size()) {
    return Invalid();
  }
  std::string_view bytes(reinterpret_cast<const char*>(decoded.data()), decoded.size());
  std::string expected = Mac(bytes.substr(0, kBodyBytes));
  if (sodium_memcmp(expected.data(), bytes.data() + kBodyBytes, kMacBytes) != 0) return Invalid();
  InviteClaims claims{.group_id = GetInt64(bytes, 0),
                      .invite_id = GetInt64(bytes, 8),
                      .creator_id = GetInt64(bytes, 16),
                      .expires_at = core::TimePoint(std::chrono::seconds(GetInt64(bytes, 24)))};
  if (now >= claims.expires_at) {
    return FailedPrecondition("INVITE_EXPIRED", "this invitation has expired; ask for a new one");
  }
  return claims;
}

}  // namespace plaza::groups
