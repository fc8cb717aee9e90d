#include "plaza/events/wire.h"

#include <catch2/catch.hpp>
#include <string>
#include <variant>

#include "plaza/core/status.h"
#include "plaza/events/announcements.h"

using plaza::events::DecodeInstanceMessage;
using plaza::events::DecodeRouteValue;
using plaza::events::Delivery;
using plaza::events::DeviceRef;
using plaza::events::EncodeDelivery;
using plaza::events::EncodeReplace;
using plaza::events::EncodeRouteValue;
using plaza::events::InstanceMessage;
using plaza::events::Replace;
using plaza::events::RouteValue;

namespace {

InstanceMessage Decoded(std::string_view payload) {
  auto message = DecodeInstanceMessage(payload);
  INFO(message.status().ToString());
  REQUIRE(message.ok());
  return *std::move(message);
}

void CheckRefused(std::string_view payload) {
  INFO("payload: " << std::string(payload));
  auto message = DecodeInstanceMessage(payload);
  CHECK(message.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(plaza::ReasonOf(message.status()) == "INSTANCE_MESSAGE_INVALID");
}

}  // namespace

TEST_CASE("Keys and channels carry the user's hash tag and the instance id", "[events][unit]") {
  CHECK(plaza::events::RouteKey(42) == "plaza:route:{42}");
  CHECK(plaza::events::InstanceChannel("gw-1") == "plaza:gateway:gw-1");
}

TEST_CASE("Identifiers are checked", "[events][unit]") {
  using plaza::events::ValidDeviceId;
  using plaza::events::ValidInstanceId;
  using plaza::events::ValidUserId;
  CHECK(ValidUserId(1));
  CHECK_FALSE(ValidUserId(0));
  CHECK_FALSE(ValidUserId(-3));
  CHECK(ValidDeviceId("phone-1.A_b"));
  CHECK(ValidDeviceId(std::string(128, 'd')));
  CHECK_FALSE(ValidDeviceId(std::string(129, 'd')));
  CHECK_FALSE(ValidDeviceId(""));
  CHECK_FALSE(ValidDeviceId("a:b"));
  CHECK_FALSE(ValidDeviceId("a b"));
  CHECK_FALSE(ValidDeviceId("a\nb"));
  CHECK_FALSE(ValidDeviceId("\xc3\xa9"));
  CHECK(ValidInstanceId("10.0.0.7:7000"));
  CHECK_FALSE(ValidInstanceId("gw 1"));
  CHECK_FALSE(ValidInstanceId(""));
  CHECK(plaza::ReasonOf(plaza::events::CheckUserId(0)) == "USER_ID_INVALID");
  CHECK(plaza::ReasonOf(plaza::events::CheckDeviceId("")) == "DEVICE_ID_INVALID");
  CHECK(plaza::events::CheckDeviceId("ok").ok());
}

TEST_CASE("Route values round-trip and malformed ones are refused", "[events][unit]") {
  RouteValue value{"gw-1", 18446744073709551615u, 1700000000123};
  CHECK(EncodeRouteValue(value) == "gw-1 18446744073709551615 1700000000123");
  CHECK(DecodeRouteValue(EncodeRouteValue(value)) == value);
  CHECK_FALSE(DecodeRouteValue("gw-1 5"));
  CHECK_FALSE(DecodeRouteValue("gw-1 x 5"));
  CHECK_FALSE(DecodeRouteValue("gw-1 5 -1"));
  CHECK_FALSE(DecodeRouteValue(" 5 6"));
  CHECK_FALSE(DecodeRouteValue("gw-1 5 6 7"));
  CHECK_FALSE(DecodeRouteValue(""));
}

TEST_CASE("A delivery round-trips with binary event bytes", "[events][unit]") {
  const std::string event("\x08\x01\x00\n\nD,R:\xff", 10);
  Delivery delivery{{7, 9223372036854775807, 3}, DeviceRef{7, "phone"}, event};
  std::string payload = EncodeDelivery(delivery);
  CHECK(payload == "D7,9223372036854775807,3\n7:phone\n" + event);
  CHECK(std::get<Delivery>(Decoded(payload)) == delivery);

  Delivery no_exclude{{5}, std::nullopt, ""};
  CHECK(EncodeDelivery(no_exclude) == "D5\n\n");
  CHECK(std::get<Delivery>(Decoded("D5\n\n")) == no_exclude);
}

TEST_CASE("A replace round-trips", "[events][unit]") {
  Replace replace{12, "tablet.2", 18446744073709551615u};
  CHECK(EncodeReplace(replace) == "R12:tablet.2:18446744073709551615");
  CHECK(std::get<Replace>(Decoded(EncodeReplace(replace))) == replace);
}

TEST_CASE("Malformed instance messages are refused", "[events][unit]") {
  CheckRefused("");
  CheckRefused("X1\n\n");
  CheckRefused("D");
  CheckRefused("D1");
  CheckRefused("D1\n");
  CheckRefused("D\n\nevent");
  CheckRefused("D1,\n\n");
  CheckRefused("D1,,2\n\n");
  CheckRefused("D0\n\n");
  CheckRefused("D-1\n\n");
  CheckRefused("Dx\n\n");
  CheckRefused("D99999999999999999999\n\n");
  CheckRefused("D1\n1\n");
  CheckRefused("D1\n1:\n");
  CheckRefused("D1\n:phone\n");
  CheckRefused("R");
  CheckRefused("R1:phone");
  CheckRefused("R1::5");
  CheckRefused("R1:a:b:5");
  CheckRefused("R1:phone:");
  CheckRefused("R1:phone:x");
  CheckRefused("R0:phone:5");
}

TEST_CASE("Relation changes name the pair, lower id first, and nothing else parses",
          "[events][unit]") {
  using plaza::events::DecodeRelationChange;
  using plaza::events::EncodeRelationChange;
  CHECK(EncodeRelationChange(9, 4) == "4 9");
  CHECK(DecodeRelationChange(EncodeRelationChange(9, 4)) == std::pair<int64_t, int64_t>{4, 9});
  for (const char* bad : {"", "4", "4 9 1", "9 4", "4 4", "0 9", "-1 9", "4 x", " 4 9", "4  9"}) {
    CHECK_FALSE(DecodeRelationChange(bad).has_value());
  }
}

TEST_CASE("Group changes name one group id, and nothing else parses", "[events][unit]") {
  using plaza::events::DecodeGroupChange;
  using plaza::events::EncodeGroupChange;
  CHECK(DecodeGroupChange(EncodeGroupChange(734001)) == 734001);
  for (const char* bad : {"", "0", "-5", "5 6", "x", " 5", "5 ", "99999999999999999999"}) {
    CHECK_FALSE(DecodeGroupChange(bad).has_value());
  }
}
