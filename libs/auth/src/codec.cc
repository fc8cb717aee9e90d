#include "plaza/auth/internal/codec.h"

#include <sodium.h>

#include <cstdio>
#include <cstdlib>

namespace plaza::auth::internal {
namespace {

constexpr uint8_t kClaimsVersion = 1;
// Times beyond this would overflow TimePoint when decoded, which is undefined behaviour on bytes
// that have not been authenticated yet.
constexpr int64_t kMaxUnixSeconds =
    std::chrono::duration_cast<std::chrono::seconds>(core::TimePoint::max().time_since_epoch())
        .count();

int SodiumVariant(Base64 variant) {
  return variant == Base64::kStandard ? sodium_base64_VARIANT_ORIGINAL
                                      : sodium_base64_VARIANT_URLSAFE_NO_PADDING;
}

[[noreturn]] void EncodeFailure(const char* what) {
  std::fprintf(stderr, "plaza::auth: cannot encode claims: %s\n", what);
  std::abort();
}

void PutInt(std::string& out, int64_t value) {
  auto bits = static_cast<uint64_t>(value);
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>(bits >> shift));
}

void PutString(std::string& out, std::string_view text, size_t limit, const char* what) {
  if (text.size() > limit) EncodeFailure(what);
  out.push_back(static_cast<char>(text.size()));
  out.append(text);
}

void PutTime(std::string& out, core::TimePoint time) {
  int64_t seconds = core::UnixSeconds(time);
  if (seconds < 0) EncodeFailure("time before the Unix epoch");
  PutInt(out, seconds);
}

// Reads the encoding front to back; any short read poisons the whole decode.
class ClaimsReader {
 public:
  explicit ClaimsReader(std::string_view bytes) : rest_(bytes) {}

  bool ok() const { return ok_; }
  bool AtEnd() const { return rest_.empty(); }

  uint8_t Byte() {
    if (!Need(1)) return 0;
    auto value = static_cast<uint8_t>(rest_[0]);
    rest_.remove_prefix(1);
    return value;
  }

  int64_t Int() {
    if (!Need(8)) return 0;
    uint64_t bits = 0;
    for (int i = 0; i < 8; ++i) bits = (bits << 8) | static_cast<uint8_t>(rest_[i]);
    rest_.remove_prefix(8);
    return static_cast<int64_t>(bits);
  }

  std::string String() {
    size_t size = Byte();
    if (!Need(size)) return {};
    std::string value(rest_.substr(0, size));
    rest_.remove_prefix(size);
    return value;
  }

  core::TimePoint Time() {
    int64_t seconds = Int();
    if (seconds < 0 || seconds > kMaxUnixSeconds) ok_ = false;
    if (!ok_) return {};
    return core::TimePoint(std::chrono::seconds(seconds));
  }

 private:
  bool Need(size_t size) {
    if (rest_.size() < size) ok_ = false;
    return ok_;
  }

  std::string_view rest_;
  bool ok_ = true;
};

}  // namespace

void EnsureSodium() {
  [[maybe_unused]] static const bool initialized = [] {
    if (sodium_init() < 0) {
      std::fprintf(stderr, "plaza::auth: sodium_init() failed\n");
      std::abort();
    }
    return true;
  }();
}

std::string Base64Encode(std::string_view bytes, Base64 variant) {
  EnsureSodium();
  int sodium_variant = SodiumVariant(variant);
  // sodium_base64_encoded_len counts the terminating NUL that sodium_bin2base64 writes.
  std::string text(sodium_base64_encoded_len(bytes.size(), sodium_variant), '\0');
  sodium_bin2base64(text.data(), text.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), sodium_variant);
  text.pop_back();
  return text;
}

std::optional<std::string> Base64Decode(std::string_view text, Base64 variant) {
  EnsureSodium();
  std::string bytes(text.size() / 4 * 3 + 3, '\0');
  size_t size = 0;
  const char* end = nullptr;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(bytes.data()), bytes.size(), text.data(),
                        text.size(), /*ignore=*/nullptr, &size, &end,
                        SodiumVariant(variant)) != 0 ||
      end != text.data() + text.size()) {
    return std::nullopt;
  }
  bytes.resize(size);
  return bytes;
}

std::string_view TrimSpace(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r\n";
  size_t begin = text.find_first_not_of(kSpace);
  if (begin == std::string_view::npos) return {};
  return text.substr(begin, text.find_last_not_of(kSpace) - begin + 1);
}

bool IsValidKeyId(std::string_view key_id) {
  if (key_id.empty() || key_id.size() > kMaxKeyIdBytes) return false;
  for (char c : key_id) {
    bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                   c == '.' || c == '_' || c == '-';
    if (!allowed) return false;
  }
  return true;
}

std::string EncodeClaims(const Claims& claims) {
  if (!IsValidKeyId(claims.key_id)) EncodeFailure("invalid key id");
  std::string out;
  out.reserve(2 + 4 * 8 + 3 + claims.key_id.size() + claims.device_id.size() +
              claims.subject.size());
  out.push_back(static_cast<char>(kClaimsVersion));
  out.push_back(static_cast<char>(claims.kind));
  PutString(out, claims.key_id, kMaxKeyIdBytes, "key id too long");
  PutInt(out, claims.user_id);
  PutString(out, claims.device_id, kMaxFieldBytes, "device id too long");
  PutInt(out, claims.session_id);
  PutTime(out, claims.issued_at);
  PutTime(out, claims.expires_at);
  PutString(out, claims.subject, kMaxFieldBytes, "subject too long");
  return out;
}

std::optional<Claims> DecodeClaims(std::string_view bytes) {
  ClaimsReader reader(bytes);
  if (reader.Byte() != kClaimsVersion) return std::nullopt;
  Claims claims;
  claims.kind = static_cast<TokenKind>(reader.Byte());
  claims.key_id = reader.String();
  claims.user_id = reader.Int();
  claims.device_id = reader.String();
  claims.session_id = reader.Int();
  claims.issued_at = reader.Time();
  claims.expires_at = reader.Time();
  claims.subject = reader.String();
  if (!reader.ok() || !reader.AtEnd() || !IsValidKeyId(claims.key_id)) return std::nullopt;
  return claims;
}

}  // namespace plaza::auth::internal
