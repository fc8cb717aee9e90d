#include "tools/bench/message_ids.h"

#include <catch2/catch.hpp>
#include <string>

using plaza::bench::FormatMessageId;
using plaza::bench::MessageKey;
using plaza::bench::ParseMessageId;

TEST_CASE("FormatMessageId and ParseMessageId round-trip", "[bench][message_ids]") {
  MessageKey key{.run = 3, .lane = 199, .n = 4711};
  CHECK(FormatMessageId(key) == "bench.3.199.4711");
  CHECK(ParseMessageId(FormatMessageId(key)) == key);
  MessageKey zero{};
  CHECK(ParseMessageId(FormatMessageId(zero)) == zero);
}

TEST_CASE("The longest ids fit SendMessage's 64 bytes of [A-Za-z0-9._:-]", "[bench][message_ids]") {
  constexpr int64_t kMax = 999'999'999'999'999'999;  // 18 digits
  std::string id = FormatMessageId({.run = kMax, .lane = kMax, .n = kMax});
  CHECK(id.size() <= 64);
  CHECK(id.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789.") == std::string::npos);
  CHECK(ParseMessageId(id) == MessageKey{.run = kMax, .lane = kMax, .n = kMax});
}

TEST_CASE("ParseMessageId refuses every other text", "[bench][message_ids]") {
  CHECK_FALSE(ParseMessageId(""));
  CHECK_FALSE(ParseMessageId("bench."));
  CHECK_FALSE(ParseMessageId("bench.1.2"));
  CHECK_FALSE(ParseMessageId("bench.1.2.3.4"));
  CHECK_FALSE(ParseMessageId("bench.1..3"));
  CHECK_FALSE(ParseMessageId("bench.1.2.3."));
  CHECK_FALSE(ParseMessageId("bench.-1.2.3"));
  CHECK_FALSE(ParseMessageId("bench.01.2.3"));
  CHECK_FALSE(ParseMessageId("bench.1.2.x"));
  CHECK_FALSE(ParseMessageId("bench.1.2.99999999999999999999"));
  CHECK_FALSE(ParseMessageId("phone-1.2.3"));
  CHECK_FALSE(ParseMessageId("xbench.1.2.3"));
}
