#include "plaza/auth/token.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "plaza/auth/internal/codec.h"
#include "plaza/core/clock.h"
#include "plaza/core/status.h"

namespace {

using namespace std::chrono_literals;
using plaza::auth::Claims;
using plaza::auth::GenerateKeyPair;
using plaza::auth::KeyPair;
using plaza::auth::Signer;
using plaza::auth::TokenKind;
using plaza::auth::Verifier;
using plaza::auth::VerifierOptions;
using plaza::auth::internal::Base64;
using plaza::auth::internal::Base64Decode;
using plaza::auth::internal::Base64Encode;

Claims AccessClaims(const plaza::core::Clock& clock) {
  Claims claims;
  claims.kind = TokenKind::kAccess;
  claims.user_id = 7'123'456'789'012'345;
  claims.device_id = "3f2c8a4e-91b7-4d2a-a6f1-0c9e5b7d3a21";
  claims.session_id = 7'123'456'789'999'999;
  claims.issued_at = clock.Now();
  claims.expires_at = clock.Now() + 15min;
  return claims;
}

Signer MakeSigner(const KeyPair& pair) {
  absl::StatusOr<Signer> signer = Signer::Create(pair.signing_key);
  REQUIRE(signer.ok());
  return *std::move(signer);
}

Verifier MakeVerifier(std::string_view public_keys, const plaza::core::Clock& clock,
                      VerifierOptions options = {}) {
  absl::StatusOr<Verifier> verifier = Verifier::Create(public_keys, clock, options);
  REQUIRE(verifier.ok());
  return *std::move(verifier);
}

// The reason of a refusal, after checking that it is one.
std::string Refusal(const Verifier& verifier, std::string_view token,
                    TokenKind kind = TokenKind::kAccess) {
  absl::StatusOr<Claims> claims = verifier.Verify(token, kind);
  REQUIRE_FALSE(claims.ok());
  CHECK(claims.status().code() == absl::StatusCode::kUnauthenticated);
  return plaza::ReasonOf(claims.status());
}

struct SplitToken {
  std::string claims;
  std::string signature;
};

SplitToken Split(const std::string& token) {
  size_t dot = token.find('.');
  REQUIRE(dot != std::string::npos);
  auto claims = Base64Decode(token.substr(0, dot), Base64::kUrlNoPadding);
  auto signature = Base64Decode(token.substr(dot + 1), Base64::kUrlNoPadding);
  REQUIRE(claims.has_value());
  REQUIRE(signature.has_value());
  return {*claims, *signature};
}

std::string Join(std::string_view claims, std::string_view signature) {
  return Base64Encode(claims, Base64::kUrlNoPadding) + "." +
         Base64Encode(signature, Base64::kUrlNoPadding);
}

}  // namespace

TEST_CASE("A signed access token verifies and carries its claims", "[auth][token]") {
  plaza::core::FakeClock clock;
  KeyPair pair = GenerateKeyPair("2025-01");
  Signer signer = MakeSigner(pair);
  Verifier verifier = MakeVerifier(pair.public_key, clock);

  Claims claims = AccessClaims(clock);
  claims.key_id = "ignored";
  std::string token = signer.Sign(claims);
  absl::StatusOr<Claims> verified = verifier.Verify(token, TokenKind::kAccess);
  REQUIRE(verified.ok());
  claims.key_id = "2025-01";
  CHECK(*verified == claims);
  CHECK(token.size() < 250);
}

TEST_CASE("A signer's public key is the one generated with it", "[auth][token]") {
  KeyPair pair = GenerateKeyPair("k1");
  Signer signer = MakeSigner(pair);
  CHECK(signer.key_id() == "k1");
  CHECK(signer.public_key() == pair.public_key);
  CHECK(GenerateKeyPair("k1").public_key != pair.public_key);
}

TEST_CASE("Verifier refuses a token once it expires", "[auth][token]") {
  plaza::core::FakeClock clock;
  KeyPair pair = GenerateKeyPair("k1");
  Verifier verifier = MakeVerifier(pair.public_key, clock, {.cache_capacity = 0});
  std::string token = MakeSigner(pair).Sign(AccessClaims(clock));

  clock.Advance(15min - 1s);
  CHECK(verifier.Verify(token, TokenKind::kAccess).ok());
  clock.Advance(1s);
  CHECK(Refusal(verifier, token) == "TOKEN_EXPIRED");
}

TEST_CASE("Verifier tolerates a little clock skew on issued_at, not more", "[auth][token]") {
  plaza::core::FakeClock clock;
  KeyPair pair = GenerateKeyPair("k1");
  Verifier verifier = MakeVerifier(pair.public_key, clock);
  Signer signer = MakeSigner(pair);

  Claims claims = AccessClaims(clock);
  claims.issued_at = clock.Now() + 30s;
  CHECK(verifier.Verify(signer.Sign(claims), TokenKind::kAccess).ok());
  claims.issued_at = clock.Now() + 31s;
  CHECK(Refusal(verifier, signer.Sign(claims)) == "TOKEN_NOT_YET_VALID");
}

TEST_CASE("Verifier refuses a token whose signature was altered", "[auth][token]") {
  plaza::core::FakeClock clock;
  KeyPair pair = GenerateKeyPair("k1");
  Verifier verifier = MakeVerifier(pair.public_key, clock);
  SplitToken parts = Split(MakeSigner(pair).Sign(AccessClaims(clock)));

  for (size_t i = 0; i < parts.signature.size(); ++i) {
    std::string forged = parts.signature;
    forged[i] = static_cast<char>(forged[i] ^ 0x01);
    INFO("signature byte " << i);
    CHECK(Refusal(verifier, Join(parts.claims, forged)) == "TOKEN_BAD_SIGNATURE");
  }
}

TEST_CASE("Verifier refuses a token whose claims were altered", "[auth][token]") {
  plaza::core::FakeClock clock;
  KeyPair pair = GenerateKeyPair("k1");
  Verifier verifier = MakeVerifier(pair.public_key, clock);
  SplitToken parts = Split(MakeSigner(pair).Sign(AccessClaims(clock)));

  // Offset of the last byte of user_id: version, kind, kid length, kid, then 8 bytes.
  size_t user_id_low = 3 + std::string("k1").size() + 7;
  std::string raised = parts.claims;
  raised[user_id_low] = static_cast<char>(raised[user_id_low] ^ 0x01);
  CHECK(Refusal(verifier, Join(raised, parts.signature)) == "TOKEN_BAD_SIGNATURE");

  // Whatever byte changes, the token is refused (the reason depends on what decodes).
  for (size_t i = 0; i < parts.claims.size(); ++i) {
    std::string forged = parts.claims;
    forged[i] = static_cast<char>(forged[i] ^ 0x01);
    INFO("claims byte " << i);
    CHECK_FALSE(verifier.Verify(Join(forged, parts.signature), TokenKind::kAccess).ok());
  }
}

TEST_CASE("Verifier refuses a token from another key pair with the same kid", "[auth][token]") {
  plaza::core::FakeClock clock;
  KeyPair trusted = GenerateKeyPair("k1");
  KeyPair impostor = GenerateKeyPair("k1");
  Verifier verifier = MakeVerifier(trusted.public_key, clock);
  CHECK(Refusal(verifier, MakeSigner(impostor).Sign(AccessClaims(clock))) == "TOKEN_BAD_SIGNATURE");
}

TEST_CASE("Verifier refuses a token signed by an unknown key", "[auth][token]") {
  plaza::core::FakeClock clock;
  Verifier verifier = MakeVerifier(GenerateKeyPair("k1").public_key, clock);
  std::string token = MakeSigner(GenerateKeyPair("k2")).Sign(AccessClaims(clock));
  CHECK(Refusal(verifier, token) == "TOKEN_UNKNOWN_KEY");
}

TEST_CASE("Verifier refuses a token minted for another purpose", "[auth][token]") {
  plaza::core::FakeClock clock;
  KeyPair pair = GenerateKeyPair("k1");
  Verifier verifier = MakeVerifier(pair.public_key, clock);
  Signer signer = MakeSigner(pair);

  Claims qr = AccessClaims(clock);
  qr.kind = TokenKind::kQrAddFriend;
  qr.subject = "plaza-id:alice";
  std::string qr_token = signer.Sign(qr);
  CHECK(Refusal(verifier, qr_token, TokenKind::kAccess) == "TOKEN_WRONG_KIND");
  absl::StatusOr<Claims> verified = verifier.Verify(qr_token, TokenKind::kQrAddFriend);
  REQUIRE(verified.ok());
  CHECK(verified->subject == "plaza-id:alice");

  std::string access_token = signer.Sign(AccessClaims(clock));
  CHECK(Refusal(verifier, access_token, TokenKind::kQrAddFriend) == "TOKEN_WRONG_KIND");
}

TEST_CASE("Verifier refuses malformed tokens", "[auth][token]") {
  plaza::core::FakeClock clock;
  KeyPair pair = GenerateKeyPair("k1");
  Verifier verifier = MakeVerifier(pair.public_key, clock);
  std::string token = MakeSigner(pair).Sign(AccessClaims(clock));
  SplitToken parts = Split(token);

  std::vector<std::string> malformed = {
      "",
      ".",
      "no-dot-at-all",
      "!!!!.????",
      token + ".",
      token + "=",
      "." + token.substr(token.find('.') + 1),
      token.substr(0, token.find('.') + 1),
      token.substr(0, token.size() - 1),
      "Bearer " + token,
      token + "\n",
      Join(parts.claims.substr(0, parts.claims.size() - 1), parts.signature),
      Join(parts.claims + std::string(1, '\0'), parts.signature),
      Join(parts.claims, parts.signature.substr(1)),
      Join(parts.claims, parts.signature + "x"),
      std::string(plaza::auth::kMaxTokenBytes + 1, 'A'),
      token + std::string(plaza::auth::kMaxTokenBytes, 'A'),
  };
  for (const std::string& input : malformed) {
    INFO("token: " << input.substr(0, 80));
    CHECK(Refusal(verifier, input) == "TOKEN_MALFORMED");
  }
}

TEST_CASE("Claims decoding accepts exactly one encoding", "[auth][token]") {
  using plaza::auth::internal::DecodeClaims;
  using plaza::auth::internal::EncodeClaims;
  plaza::core::FakeClock clock;
  Claims claims = AccessClaims(clock);
  claims.key_id = "k1";
  claims.subject = std::string(plaza::auth::kMaxFieldBytes, 's');
  std::string bytes = EncodeClaims(claims);
  REQUIRE(DecodeClaims(bytes) == claims);

  for (size_t size = 0; size < bytes.size(); ++size) {
    INFO("prefix of " << size << " bytes");
    CHECK_FALSE(DecodeClaims(bytes.substr(0, size)).has_value());
  }
  CHECK_FALSE(DecodeClaims(bytes + "x").has_value());

  std::string other_version = bytes;
  other_version[0] = 2;
  CHECK_FALSE(DecodeClaims(other_version).has_value());

  // expires_at is the 8 bytes before the subject's length byte and the subject itself.
  std::string far_future = bytes;
  size_t expires_at = bytes.size() - claims.subject.size() - 1 - 8;
  far_future.replace(expires_at, 8, "\x7f\xff\xff\xff\xff\xff\xff\xff");
  CHECK_FALSE(DecodeClaims(far_future).has_value());
  std::string before_epoch = bytes;
  before_epoch[expires_at] = static_cast<char>(0x80);
  CHECK_FALSE(DecodeClaims(before_epoch).has_value());
}

TEST_CASE("Verifier accepts old and new keys during a rotation", "[auth][token]") {
  plaza::core::FakeClock clock;
  KeyPair old_pair = GenerateKeyPair("2025-01");
  KeyPair new_pair = GenerateKeyPair("2025-02");
  std::string old_token = MakeSigner(old_pair).Sign(AccessClaims(clock));
  std::string new_token = MakeSigner(new_pair).Sign(AccessClaims(clock));

  Verifier during = MakeVerifier(old_pair.public_key + "," + new_pair.public_key, clock);
  CHECK(during.Verify(old_token, TokenKind::kAccess).ok());
  CHECK(during.Verify(new_token, TokenKind::kAccess).ok());

  Verifier after = MakeVerifier(new_pair.public_key, clock);
  CHECK(after.Verify(new_token, TokenKind::kAccess).ok());
  CHECK(Refusal(after, old_token) == "TOKEN_UNKNOWN_KEY");
}

TEST_CASE("Key strings tolerate surrounding whitespace", "[auth][token]") {
  plaza::core::FakeClock clock;
  KeyPair a = GenerateKeyPair("a");
  KeyPair b = GenerateKeyPair("b");
  REQUIRE(Signer::Create("  " + a.signing_key + "\n").ok());
  Verifier verifier = MakeVerifier(" " + a.public_key + " ,\n" + b.public_key + "\n", clock);
  CHECK(verifier.Verify(MakeSigner(b).Sign(AccessClaims(clock)), TokenKind::kAccess).ok());
}

TEST_CASE("Malformed signing keys are refused without echoing them", "[auth][token]") {
  std::string seed = GenerateKeyPair("k1").signing_key.substr(3);
  std::string short_seed = Base64Encode(std::string(31, 'x'), Base64::kStandard);
  std::vector<std::string> bad = {
      "",
      seed,
      ":" + seed,
      "bad kid:" + seed,
      "k1:" + seed + "x",
      "k1:" + seed.substr(0, seed.size() - 1),
      "k1:" + short_seed,
      "k1:" + seed + ",k2:" + seed,
      std::string(65, 'k') + ":" + seed,
  };
  for (const std::string& key : bad) {
    absl::StatusOr<Signer> signer = Signer::Create(key);
    INFO("key #" << (&key - bad.data()));
    REQUIRE_FALSE(signer.ok());
    CHECK(signer.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK(plaza::ReasonOf(signer.status()) == "SIGNING_KEY_INVALID");
    CHECK(std::string(signer.status().message()).find(seed.substr(0, 8)) == std::string::npos);
  }
}

TEST_CASE("Malformed public key sets are refused with the entry at fault", "[auth][token]") {
  plaza::core::FakeClock clock;
  std::string a = GenerateKeyPair("a").public_key;
  std::string b = GenerateKeyPair("b").public_key;
  std::string a_again = GenerateKeyPair("a").public_key;
  struct Case {
    std::string keys;
    std::string says;
  };
  std::vector<Case> cases = {
      {"", "entry 1"},
      {a + ",", "entry 2"},
      {a + ",," + b, "entry 2"},
      {a + "," + a_again, "'a' appears twice"},
      {a + ",b", "entry 2"},
      {"b:" + a.substr(2, 20), "'b'"},
      {"bad kid" + a.substr(1), "entry 1"},
  };
  for (const Case& c : cases) {
    INFO("keys: " << c.keys);
    absl::StatusOr<Verifier> verifier = Verifier::Create(c.keys, clock);
    REQUIRE_FALSE(verifier.ok());
    CHECK(verifier.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK(plaza::ReasonOf(verifier.status()) == "PUBLIC_KEYS_INVALID");
    CHECK_THAT(std::string(verifier.status().message()), Catch::Contains(c.says));
  }
}

TEST_CASE("Verifier cache does not accept a token after expiry", "[auth][token]") {
  plaza::core::FakeClock clock;
  KeyPair pair = GenerateKeyPair("k1");
  Verifier verifier = MakeVerifier(pair.public_key, clock, {.cache_capacity = 16});
  std::string token = MakeSigner(pair).Sign(AccessClaims(clock));

  CHECK(verifier.Verify(token, TokenKind::kAccess).ok());
  CHECK(verifier.Verify(token, TokenKind::kAccess).ok());
  CHECK(Refusal(verifier, token, TokenKind::kQrAddFriend) == "TOKEN_WRONG_KIND");
  clock.Advance(15min);
  CHECK(Refusal(verifier, token) == "TOKEN_EXPIRED");
}

TEST_CASE("Verifier cache returns each token's own claims while evicting", "[auth][token]") {
  plaza::core::FakeClock clock;
  KeyPair pair = GenerateKeyPair("k1");
  Signer signer = MakeSigner(pair);
  Verifier verifier = MakeVerifier(pair.public_key, clock, {.cache_capacity = 4});
  std::vector<std::string> tokens;
  for (int64_t user = 1; user <= 20; ++user) {
    Claims claims = AccessClaims(clock);
    claims.user_id = user;
    tokens.push_back(signer.Sign(claims));
  }
  for (int round = 0; round < 3; ++round) {
    for (size_t i = 0; i < tokens.size(); ++i) {
      absl::StatusOr<Claims> claims = verifier.Verify(tokens[i], TokenKind::kAccess);
      REQUIRE(claims.ok());
      CHECK(claims->user_id == static_cast<int64_t>(i + 1));
    }
  }
}

TEST_CASE("Verifier is safe to call from many threads", "[auth][token]") {
  plaza::core::FakeClock clock;
  KeyPair pair = GenerateKeyPair("k1");
  Signer signer = MakeSigner(pair);
  Verifier verifier = MakeVerifier(pair.public_key, clock, {.cache_capacity = 8});
  std::vector<std::string> tokens;
  for (int64_t user = 1; user <= 32; ++user) {
    Claims claims = AccessClaims(clock);
    claims.user_id = user;
    tokens.push_back(signer.Sign(claims));
  }
  std::atomic<int> failures = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int n = 0; n < 500; ++n) {
        size_t i = static_cast<size_t>(n * 7 + t) % tokens.size();
        absl::StatusOr<Claims> claims = verifier.Verify(tokens[i], TokenKind::kAccess);
        if (!claims.ok() || claims->user_id != static_cast<int64_t>(i + 1)) ++failures;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  CHECK(failures == 0);
}
