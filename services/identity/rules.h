#pragma once

// Identity's rules that need neither database nor network: login codes, handles, passwords,
// devices, timestamps. Unit-tested in tests/rules_test.cc.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include <google/protobuf/timestamp.pb.h>

#include "absl/status/status.h"
#include "plaza/core/clock.h"
#include "plaza/identity/v1/identity_service.pb.h"

namespace plaza::identity {

inline constexpr std::chrono::minutes kCodeLifetime{5};
inline constexpr int kMaxCodeAttempts = 5;
inline constexpr int kCodeDigits = 6;
inline constexpr std::chrono::hours kPlazaIdChangeInterval{24 * 365};

// A fresh uniformly random code of kCodeDigits digits.
std::string NewLoginCode();

// What is stored instead of the code: it binds the code to the phone it was sent to.
std::string LoginCodeHash(std::string_view e164, std::string_view code);

// The stored state of a phone's latest code.
struct StoredCode {
  std::string code_hash;
  core::TimePoint expires_at;
  int failed_attempts = 0;
};

enum class CodeVerdict { kAccepted, kWrong, kExpired, kTooManyAttempts, kNone };

// Judges `presented_hash` against `stored` at `now`. A code that has already failed
// kMaxCodeAttempts times is dead even if the next try is right.
CodeVerdict JudgeCode(const StoredCode& stored, std::string_view presented_hash, core::TimePoint now);

// The status a non-accepted verdict turns into (FAILED_PRECONDITION with CODE_* reasons).
absl::Status CodeVerdictError(CodeVerdict verdict);

// INVALID_ARGUMENT (CODE_INVALID_FORMAT) unless `code` is kCodeDigits ASCII digits.
absl::Status ValidateCodeFormat(std::string_view code);

// 4-20 of [A-Za-z0-9_-], first a letter. INVALID_ARGUMENT (PLAZA_ID_INVALID) otherwise.
absl::Status ValidatePlazaId(std::string_view plaza_id);

// 8-128 characters of valid UTF-8. INVALID_ARGUMENT (PASSWORD_INVALID) otherwise.
absl::Status ValidatePassword(std::string_view password);

// device_id 1-64 of [A-Za-z0-9._-], name at most 64 characters, a known platform.
absl::Status ValidateDevice(const plaza::identity::v1::Device& device);

// Display name: 1-32 characters, one line.
absl::Status ValidateDisplayName(std::string_view name);

// `t` as a Timestamp, to the microsecond: the precision of every time identity stores.
void SetTimestamp(google::protobuf::Timestamp* out, core::TimePoint t);

}  // namespace plaza::identity
