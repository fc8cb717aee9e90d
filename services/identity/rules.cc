#include "services/identity/rules.h"

#include <google/protobuf/util/time_util.h>
#include <sodium.h>

#include "plaza/auth/secret.h"
#include "plaza/core/status.h"
#include "plaza/core/text.h"

namespace plaza::identity {
namespace {

bool IsAsciiLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsAsciiDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

std::string NewLoginCode() {
  // RandomToken initialises libsodium; randombytes_uniform avoids modulo bias.
  (void)auth::RandomToken(1);
  std::string code(kCodeDigits, '0');
  for (char& digit : code) digit = static_cast<char>('0' + randombytes_uniform(10));
  return code;
}

std::string LoginCodeHash(std::string_view e164, std::string_view code) {
  return auth::Sha256Hex(std::string(e164) + ":" + std::string(code));
}

CodeVerdict JudgeCode(const StoredCode& stored, std::string_view presented_hash, core::TimePoint now) {
  if (stored.failed_attempts >= kMaxCodeAttempts) return CodeVerdict::kTooManyAttempts;
  if (now >= stored.expires_at) return CodeVerdict::kExpired;
  if (presented_hash.size() != stored.code_hash.size() ||
      sodium_memcmp(presented_hash.data(), stored.code_hash.data(), presented_hash.size()) != 0) {
    return CodeVerdict::kWrong;
  }
  return CodeVerdict::kAccepted;
}

absl::Status CodeVerdictError(CodeVerdict verdict) {
  switch (verdict) {
    case CodeVerdict::kAccepted:
      return absl::OkStatus();
    case CodeVerdict::kWrong:
      return FailedPrecondition("CODE_INVALID", "the code is wrong");
    case CodeVerdict::kExpired:
      return FailedPrecondition("CODE_EXPIRED", "the code has expired; request a new one");
    case CodeVerdict::kTooManyAttempts:
      return FailedPrecondition("CODE_TOO_MANY_ATTEMPTS",
                                "too many wrong codes; request a new one");
    case CodeVerdict::kNone:
      return FailedPrecondition("CODE_NOT_REQUESTED", "no code was requested for this phone");
  }
  return Internal("INTERNAL", "unknown code verdict");
}

absl::Status ValidateCodeFormat(std::string_view code) {
  if (code.size() != static_cast<size_t>(kCodeDigits) ||
      code.find_first_not_of("0123456789") != std::string_view::npos) {
    return InvalidArgument("CODE_INVALID_FORMAT", "code must be 6 digits");
  }
  return absl::OkStatus();
}

absl::Status ValidatePlazaId(std::string_view plaza_id) {
  auto invalid = InvalidArgument(
      "PLAZA_ID_INVALID",
      "Plaza ID must be 4-20 letters, digits, '_' or '-', starting with a letter");
  if (plaza_id.size() < 4 || plaza_id.size() > 20 || !IsAsciiLetter(plaza_id.front())) return invalid;
  for (char c : plaza_id) {
    if (!IsAsciiLetter(c) && !IsAsciiDigit(c) && c != '_' && c != '-') return invalid;
  }
  return absl::OkStatus();
}

absl::Status ValidatePassword(std::string_view password) {
  return core::ValidateText("password", password, 8, 128);
}

absl::Status ValidateDevice(const plaza::identity::v1::Device& device) {
  const auto& id = device.device_id();
  if (id.empty() || id.size() > 64 ||
      id.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") !=
          std::string::npos) {
    return InvalidArgument("DEVICE_ID_INVALID", "device.device_id must be 1-64 of [A-Za-z0-9._-]");
  }
  PLAZA_RETURN_IF_ERROR(core::ValidateText("device_name", device.name(), 0, 64));
  if (device.platform() == plaza::identity::v1::PLATFORM_UNSPECIFIED ||
      !plaza::identity::v1::Platform_IsValid(device.platform())) {
    return InvalidArgument("DEVICE_PLATFORM_INVALID", "device.platform must be set");
  }
  return absl::OkStatus();
}

absl::Status ValidateDisplayName(std::string_view name) {
  return core::ValidateText("display_name", name, 1, 32);
}

void SetTimestamp(google::protobuf::Timestamp* out, core::TimePoint t) {
  *out = google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(
      std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count());
}

}  // namespace plaza::identity
