#include <catch2/catch.hpp>

#include <stdexcept>

#include "plaza/redis/reply.h"
#include "plaza/redis/script.h"

using plaza::redis::Reply;
using plaza::redis::Script;

TEST_CASE("Reply accessors return the value of their own type", "[redis][reply]") {
  CHECK(Reply().is_nil());
  CHECK(Reply::Integer(-7).integer() == -7);
  CHECK(Reply::String(std::string("a\0b", 3)).str() == std::string("a\0b", 3));
  CHECK(Reply::Status("OK").str() == "OK");
  CHECK(Reply::Error("ERR nope").str() == "ERR nope");
  Reply array = Reply::Array({Reply::Integer(1), Reply::Nil()});
  REQUIRE(array.elements().size() == 2);
  CHECK(array.elements()[0] == Reply::Integer(1));
  CHECK(array.elements()[1].is_nil());
  CHECK(Reply::String("OK") != Reply::Status("OK"));
}

TEST_CASE("Reply accessors throw on a reply of another type", "[redis][reply]") {
  CHECK_THROWS_MATCHES(
      Reply::String("5").integer(), std::logic_error,
      Catch::Matchers::Message("Reply::integer() called on a string reply, not integer"));
  CHECK_THROWS_AS(Reply::Nil().str(), std::logic_error);
  CHECK_THROWS_AS(Reply::Integer(1).elements(), std::logic_error);
}

TEST_CASE("Script computes the SHA1 Redis uses to name it", "[redis][script]") {
  // FIPS 180 test vectors, including one spanning two blocks.
  CHECK(Script("").sha1() == "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  CHECK(Script("abc").sha1() == "a9993e364706816aba3e25717850c26c9cd0d89d");
  CHECK(Script("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq").sha1() ==
        "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
  CHECK(Script(std::string(1000, 'a')).sha1() == "291e9a6c66994949b57ba5e650361e98fc36b1ba");
  CHECK(Script("return 1").source() == "return 1");
}
