#include "services/groups/invite_token.h"

#include <catch2/catch.hpp>

#include "plaza/core/status.h"

using namespace plaza::groups;
using namespace std::chrono_literals;

namespace {

const std::string kKey = "0123456789abcdef0123456789abcdef-test-key";
const plaza::core::TimePoint kNow{std::chrono::seconds(1'800'000'000)};

InviteClaims Claims() {
  return {.group_id = 7'000'000'000'001,
          .invite_id = 7'000'000'000'002,
          .creator_id = 42,
          .expires_at = kNow + 7 * 24h};
}

}  // namespace

TEST_CASE("An invitation payload verifies with its key until it expires", "[groups][invite]") {
  auto signer = *InviteSigner::Create(kKey);
  std::string payload = signer.Sign(Claims());
  CHECK(payload.starts_with("pgi1."));
  CHECK(payload.size() == 91);
  auto claims = signer.Verify(payload, kNow);
  REQUIRE(claims.ok());
  CHECK(claims->group_id == Claims().group_id);
  CHECK(claims->invite_id == Claims().invite_id);
  CHECK(claims->creator_id == 42);
  CHECK(claims->expires_at == Claims().expires_at);
  CHECK(signer.Verify(payload, kNow + 7 * 24h - 1s).ok());

  auto expired = signer.Verify(payload, kNow + 7 * 24h);
  CHECK(expired.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK(plaza::ReasonOf(expired.status()) == "INVITE_EXPIRED");
}

TEST_CASE("Altered, foreign or malformed payloads are refused", "[groups][invite]") {
  auto signer = *InviteSigner::Create(kKey);
  std::string payload = signer.Sign(Claims());
  auto refused = [&](const std::string& text) {
    auto result = signer.Verify(text, kNow);
    return !result.ok() && plaza::ReasonOf(result.status()) == "INVITE_INVALID";
  };
  // Any changed character of the body or the MAC.
  for (size_t i = 5; i < payload.size(); i += 7) {
    std::string altered = payload;
    altered[i] = altered[i] == 'A' ? 'B' : 'A';
    CHECK(refused(altered));
  }
  auto other = *InviteSigner::Create(kKey + "-other");
  CHECK(refused(other.Sign(Claims())));
  CHECK(refused(""));
  CHECK(refused("pgi1."));
  CHECK(refused("pgi2." + payload.substr(5)));
  CHECK(refused(payload.substr(0, payload.size() - 1)));
  CHECK(refused(payload + "A"));
  CHECK(refused(payload + "="));
  CHECK(refused("pgi1.!!!!"));
}

TEST_CASE("Expiry is kept in whole seconds", "[groups][invite]") {
  auto signer = *InviteSigner::Create(kKey);
  auto claims = Claims();
  claims.expires_at += 900ms;
  auto verified = signer.Verify(signer.Sign(claims), kNow);
  REQUIRE(verified.ok());
  CHECK(verified->expires_at == Claims().expires_at);
}

TEST_CASE("The signing key needs at least 32 bytes", "[groups][invite]") {
  CHECK_FALSE(InviteSigner::Create("short").ok());
  CHECK_FALSE(InviteSigner::Create(std::string(31, 'k')).ok());
  CHECK(InviteSigner::Create(std::string(32, 'k')).ok());
}
