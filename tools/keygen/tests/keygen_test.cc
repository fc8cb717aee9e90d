#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "plaza/auth/token.h"
#include "plaza/core/clock.h"
#include "plaza/core/status.h"
#include "tools/keygen/keygen.h"

namespace {

using namespace std::chrono_literals;
using plaza::keygen::AddPublicKey;
using plaza::keygen::DefaultKeyId;
using plaza::keygen::NewKeyPair;

}  // namespace

TEST_CASE("DefaultKeyId names the key after the UTC date", "[keygen]") {
  // 2026-11-21T23:59:59Z: a local time zone east of UTC would already say the 22nd.
  plaza::core::TimePoint late(std::chrono::seconds(1'795'305'599));
  CHECK(DefaultKeyId(late) == "k20261121");
  CHECK(DefaultKeyId(late + 1s) == "k20261122");
}

TEST_CASE("NewKeyPair makes a pair whose tokens verify under the requested kid", "[keygen]") {
  auto pair = NewKeyPair("k20261121");
  REQUIRE(pair.ok());
  CHECK(pair->signing_key.starts_with("k20261121:"));
  CHECK(pair->public_key.starts_with("k20261121:"));
  plaza::core::FakeClock clock;
  auto signer = plaza::auth::Signer::Create(pair->signing_key);
  auto verifier = plaza::auth::Verifier::Create(pair->public_key, clock);
  REQUIRE(signer.ok());
  REQUIRE(verifier.ok());
  plaza::auth::Claims claims;
  claims.user_id = 42;
  claims.issued_at = clock.Now();
  claims.expires_at = clock.Now() + 15min;
  auto verified = verifier->Verify(signer->Sign(claims), plaza::auth::TokenKind::kAccess);
  REQUIRE(verified.ok());
  CHECK(verified->key_id == "k20261121");
  CHECK(verified->user_id == 42);
}

TEST_CASE("NewKeyPair makes a different key every time", "[keygen]") {
  CHECK(NewKeyPair("k1")->signing_key != NewKeyPair("k1")->signing_key);
}

TEST_CASE("NewKeyPair refuses kids the key syntax cannot hold", "[keygen]") {
  for (const std::string& kid :
       std::vector<std::string>{"", " k1", "k1 ", "k:1", "k,1", "kéy", std::string(65, 'k')}) {
    INFO("kid '" << kid << "'");
    auto pair = NewKeyPair(kid);
    REQUIRE_FALSE(pair.ok());
    CHECK(pair.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK(plaza::ReasonOf(pair.status()) == plaza::auth::kSigningKeyInvalid);
  }
  CHECK(NewKeyPair(std::string(64, 'k')).ok());
  CHECK(NewKeyPair("key-2026.11_a").ok());
}

TEST_CASE("AddPublicKey publishes the old keys and the new one together", "[keygen]") {
  auto old_key = NewKeyPair("k1");
  auto new_key = NewKeyPair("k2");
  REQUIRE(old_key.ok());
  REQUIRE(new_key.ok());
  auto combined = AddPublicKey(old_key->public_key + "\n", new_key->public_key);
  REQUIRE(combined.ok());
  CHECK(*combined == old_key->public_key + "," + new_key->public_key);
  CHECK(plaza::auth::Verifier::Create(*combined, plaza::core::SystemClock::Instance()).ok());
}

TEST_CASE("AddPublicKey refuses a malformed set and a kid that is already there", "[keygen]") {
  auto old_key = NewKeyPair("k1");
  auto same_kid = NewKeyPair("k1");
  REQUIRE(old_key.ok());
  REQUIRE(same_kid.ok());
  for (const std::string& existing :
       {std::string("k1"), std::string("k1:not-base64"), std::string(","), old_key->public_key}) {
    INFO("existing set '" << existing << "'");
    auto combined = AddPublicKey(existing, same_kid->public_key);
    REQUIRE_FALSE(combined.ok());
    CHECK(plaza::ReasonOf(combined.status()) == plaza::auth::kPublicKeysInvalid);
  }
}
