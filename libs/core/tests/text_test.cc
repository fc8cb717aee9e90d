#include <catch2/catch.hpp>

#include "plaza/core/status.h"
#include "plaza/core/text.h"

using plaza::core::Utf8Length;
using plaza::core::ValidateText;

TEST_CASE("Utf8Length counts code points and rejects invalid UTF-8", "[core][text]") {
  CHECK(Utf8Length("") == 0u);
  CHECK(Utf8Length("hello") == 5u);
  CHECK(Utf8Length("你好") == 2u);
  CHECK(Utf8Length("😀a") == 2u);
  CHECK_FALSE(Utf8Length("\xC0\xAF"));          // overlong '/'
  CHECK_FALSE(Utf8Length("\xED\xA0\x80"));      // surrogate
  CHECK_FALSE(Utf8Length("\xE4\xBD"));          // truncated
  CHECK_FALSE(Utf8Length("\xF4\x90\x80\x80"));  // above U+10FFFF
  CHECK_FALSE(Utf8Length("\xFF"));
}

TEST_CASE("ValidateText enforces length, UTF-8 and control characters", "[core][text]") {
  CHECK(ValidateText("display_name", "美美", 1, 32).ok());
  auto empty = ValidateText("display_name", "", 1, 32);
  CHECK(empty.code() == absl::StatusCode::kInvalidArgument);
  CHECK(plaza::ReasonOf(empty) == "DISPLAY_NAME_INVALID");
  CHECK_FALSE(ValidateText("display_name", std::string(33, 'a'), 1, 32).ok());
  CHECK(ValidateText("display_name", std::string(32 * 3, 'a').substr(0, 32), 1, 32).ok());
  CHECK_FALSE(ValidateText("display_name", "a\nb", 1, 32).ok());
  CHECK(ValidateText("body", "a\nb", 1, 32, /*multiline=*/true).ok());
  CHECK_FALSE(ValidateText("body", std::string("a\0b", 3), 1, 32, true).ok());
  CHECK_FALSE(ValidateText("display_name", "\xFF", 1, 32).ok());
}

TEST_CASE("Page tokens round trip and reject forgeries", "[core][text]") {
  int64_t key = 0;
  REQUIRE(plaza::core::DecodePageToken(plaza::core::EncodePageToken(123456789), key).ok());
  CHECK(key == 123456789);
  CHECK_FALSE(plaza::core::DecodePageToken("garbage", key).ok());
  CHECK_FALSE(plaza::core::DecodePageToken("p1.12x", key).ok());
  int32_t size = 0;
  REQUIRE(plaza::core::ResolvePageSize(0, 20, 100, size).ok());
  CHECK(size == 20);
  REQUIRE(plaza::core::ResolvePageSize(1000, 20, 100, size).ok());
  CHECK(size == 100);
  CHECK_FALSE(plaza::core::ResolvePageSize(-1, 20, 100, size).ok());
}

TEST_CASE("TakePage drops the look-ahead row and points the token at the last kept row", "[core][text]") {
  std::vector<int64_t> rows = {10, 20, 30, 40};
  auto identity = [](int64_t row) { return row; };
  std::string token = plaza::core::TakePage(rows, 3, identity);
  CHECK(rows == std::vector<int64_t>{10, 20, 30});
  int64_t key = 0;
  REQUIRE(plaza::core::DecodePageToken(token, key).ok());
  CHECK(key == 30);
  CHECK(plaza::core::TakePage(rows, 3, identity).empty());
  CHECK(rows.size() == 3);
}

TEST_CASE("SplitAny keeps the non-empty pieces", "[text]") {
  using V = std::vector<std::string_view>;
  CHECK(plaza::core::SplitAny("a=1; b=2\nc", "; \n") == V{"a=1", "b=2", "c"});
  CHECK(plaza::core::SplitAny("", ",").empty());
  CHECK(plaza::core::SplitAny(",,", ",").empty());
  CHECK(plaza::core::SplitAny("x", ",") == V{"x"});
  CHECK(plaza::core::SplitAny(",x,,y,", ",") == V{"x", "y"});
}
