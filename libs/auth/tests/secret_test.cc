#include "plaza/auth/secret.h"

#include <catch2/catch.hpp>
#include <set>
#include <string>

namespace {

using plaza::auth::HashStrength;

std::string FastHash(std::string_view secret) {
  absl::StatusOr<std::string> hash = plaza::auth::HashSecret(secret, HashStrength::kFastForTests);
  REQUIRE(hash.ok());
  return *hash;
}

}  // namespace

TEST_CASE("A hashed secret verifies and a wrong one is refused", "[auth][secret]") {
  std::string hash = FastHash("correct horse battery staple");
  CHECK(hash.rfind("$argon2id$", 0) == 0);
  CHECK(plaza::auth::VerifySecret(hash, "correct horse battery staple"));
  CHECK_FALSE(plaza::auth::VerifySecret(hash, "correct horse battery stapler"));
  CHECK_FALSE(plaza::auth::VerifySecret(hash, ""));
}

TEST_CASE("Hashing the same secret twice gives different hashes", "[auth][secret]") {
  std::string first = FastHash("123456");
  std::string second = FastHash("123456");
  CHECK(first != second);
  CHECK(plaza::auth::VerifySecret(first, "123456"));
  CHECK(plaza::auth::VerifySecret(second, "123456"));
}

TEST_CASE("Production-strength hashes verify and need no rehash", "[auth][secret]") {
  absl::StatusOr<std::string> hash = plaza::auth::HashSecret("860712", HashStrength::kInteractive);
  REQUIRE(hash.ok());
  CHECK(plaza::auth::VerifySecret(*hash, "860712"));
  CHECK_FALSE(plaza::auth::VerifySecret(*hash, "860713"));
  CHECK_FALSE(plaza::auth::SecretNeedsRehash(*hash, HashStrength::kInteractive));
}

TEST_CASE("A hash made with other limits needs a rehash", "[auth][secret]") {
  std::string fast = FastHash("pin");
  CHECK(plaza::auth::SecretNeedsRehash(fast, HashStrength::kInteractive));
  CHECK_FALSE(plaza::auth::SecretNeedsRehash(fast, HashStrength::kFastForTests));
  CHECK(plaza::auth::SecretNeedsRehash("not a hash", HashStrength::kFastForTests));
}

TEST_CASE("VerifySecret refuses malformed hashes", "[auth][secret]") {
  std::string hash = FastHash("secret");
  CHECK_FALSE(plaza::auth::VerifySecret("", "secret"));
  CHECK_FALSE(plaza::auth::VerifySecret("$argon2id$garbage", "secret"));
  CHECK_FALSE(plaza::auth::VerifySecret(hash.substr(0, hash.size() - 1), "secret"));
  CHECK_FALSE(plaza::auth::VerifySecret(hash + std::string(1, '\0'), "secret"));
  CHECK_FALSE(plaza::auth::VerifySecret(hash + std::string(200, 'A'), "secret"));
}

TEST_CASE("RandomToken has the expected length and does not repeat", "[auth][secret]") {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string token = plaza::auth::RandomToken(32);
    REQUIRE(token.size() == 43);
    CHECK(token.find_first_not_of(
              "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
          std::string::npos);
    seen.insert(token);
  }
  CHECK(seen.size() == 1000);
  CHECK(plaza::auth::RandomToken(16).size() == 22);
}

TEST_CASE("Sha256Hex matches the published test vectors", "[auth][secret]") {
  CHECK(plaza::auth::Sha256Hex("") ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(plaza::auth::Sha256Hex("abc") ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("ConstantTimeEquals compares content and length", "[auth][secret]") {
  CHECK(plaza::auth::ConstantTimeEquals("", ""));
  CHECK(plaza::auth::ConstantTimeEquals("abc", "abc"));
  CHECK_FALSE(plaza::auth::ConstantTimeEquals("abc", "abd"));
  CHECK_FALSE(plaza::auth::ConstantTimeEquals("abc", "abcd"));
}
