#include <catch2/catch.hpp>

#include <set>

#include "plaza/core/status.h"
#include "services/identity/phone.h"
#include "services/identity/rules.h"

using namespace plaza::identity;

TEST_CASE("Phone numbers normalize to E.164", "[identity][phone]") {
  CHECK(*NormalizePhone("+86 138-0013-8000") == "+8613800138000");
  CHECK(*NormalizePhone("0086 13800138000") == "+8613800138000");
  CHECK(*NormalizePhone("+1 (415) 555-2671") == "+14155552671");
  CHECK(*NormalizePhone("+44 20 7946 0958") == "+442079460958");
}

TEST_CASE("Invalid phone numbers are refused", "[identity][phone]") {
  for (const char* bad : {"", "13800138000", "+86 123", "+999 1234567", "hello", "+86 138 0013 8000 0000 00",
                          "+1 415 555 267"}) {
    auto result = NormalizePhone(bad);
    CHECK_FALSE(result.ok());
    CHECK(plaza::ReasonOf(result.status()) == "INVALID_PHONE");
  }
}

TEST_CASE("Phone hashes are SHA-256 of the E.164 form", "[identity][phone]") {
  CHECK(PhoneHash("+8613800138000").size() == 64);
  CHECK(PhoneHash("+8613800138000") != PhoneHash("+8613800138001"));
}

TEST_CASE("Login codes are six random digits", "[identity][code]") {
  std::set<std::string> codes;
  for (int i = 0; i < 200; ++i) {
    auto code = NewLoginCode();
    REQUIRE(ValidateCodeFormat(code).ok());
    codes.insert(code);
  }
  CHECK(codes.size() > 190);
  CHECK_FALSE(ValidateCodeFormat("12345").ok());
  CHECK_FALSE(ValidateCodeFormat("12345a").ok());
}

TEST_CASE("Code judgement covers wrong, expired and exhausted codes", "[identity][code]") {
  plaza::core::FakeClock clock;
  StoredCode stored{LoginCodeHash("+8613800138000", "123456"), clock.Now() + kCodeLifetime, 0};
  CHECK(JudgeCode(stored, LoginCodeHash("+8613800138000", "123456"), clock.Now()) == CodeVerdict::kAccepted);
  CHECK(JudgeCode(stored, LoginCodeHash("+8613800138000", "654321"), clock.Now()) == CodeVerdict::kWrong);
  // The same code sent to another phone does not match.
  CHECK(JudgeCode(stored, LoginCodeHash("+8613800138001", "123456"), clock.Now()) == CodeVerdict::kWrong);
  CHECK(JudgeCode(stored, stored.code_hash, clock.Now() + kCodeLifetime) == CodeVerdict::kExpired);
  stored.failed_attempts = kMaxCodeAttempts;
  CHECK(JudgeCode(stored, stored.code_hash, clock.Now()) == CodeVerdict::kTooManyAttempts);
  CHECK(plaza::ReasonOf(CodeVerdictError(CodeVerdict::kExpired)) == "CODE_EXPIRED");
}

TEST_CASE("Plaza IDs follow the handle rules", "[identity][plaza_id]") {
  for (const char* good : {"mei", "mei_", "Mei-2026", "a234567890123456789z"}) {
    INFO(good);
    CHECK(ValidatePlazaId(good).ok() == (std::string(good).size() >= 4));
  }
  for (const char* bad : {"abc", "1mei", "_mei", "mei wei", "meï_1", "a2345678901234567890z"}) {
    INFO(bad);
    CHECK(plaza::ReasonOf(ValidatePlazaId(bad)) == "PLAZA_ID_INVALID");
  }
}

TEST_CASE("Devices need an id, a short name and a platform", "[identity][device]") {
  plaza::identity::v1::Device device;
  device.set_device_id("ios-1.A_b");
  device.set_name("Mei's iPhone");
  device.set_platform(plaza::identity::v1::PLATFORM_IOS);
  CHECK(ValidateDevice(device).ok());
  device.set_platform(plaza::identity::v1::PLATFORM_UNSPECIFIED);
  CHECK(plaza::ReasonOf(ValidateDevice(device)) == "DEVICE_PLATFORM_INVALID");
  device.set_platform(plaza::identity::v1::PLATFORM_IOS);
  device.set_device_id("has space");
  CHECK(plaza::ReasonOf(ValidateDevice(device)) == "DEVICE_ID_INVALID");
  device.set_device_id(std::string(65, 'a'));
  CHECK_FALSE(ValidateDevice(device).ok());
}

TEST_CASE("Passwords and display names have bounded lengths", "[identity][rules]") {
  CHECK(ValidatePassword("correct horse").ok());
  CHECK_FALSE(ValidatePassword("short").ok());
  CHECK_FALSE(ValidatePassword(std::string(129, 'x')).ok());
  CHECK(ValidateDisplayName("美美").ok());
  CHECK_FALSE(ValidateDisplayName("").ok());
}

TEST_CASE("Timestamps keep microseconds", "[identity][rules]") {
  google::protobuf::Timestamp out;
  SetTimestamp(&out, plaza::core::TimePoint(std::chrono::seconds(1'800'000'000) +
                                            std::chrono::microseconds(123'456)));
  CHECK(out.seconds() == 1'800'000'000);
  CHECK(out.nanos() == 123'456'000);
}
