#include "plaza/events/publisher.h"

#include <google/protobuf/unknown_field_set.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <thread>
#include <variant>

#include "fixtures.h"
#include "plaza/core/status.h"
#include "plaza/events/routes.h"

using namespace std::chrono_literals;
using plaza::events::Delivery;
using plaza::events::DeviceRef;
using plaza::events::InstanceMessage;
using plaza::events::Publisher;
using plaza::events::RouteRegistry;
using plaza::events::testing::Listener;
using plaza::events::testing::NewInstanceId;
using plaza::events::testing::Ok;
using plaza::events::testing::SharedPool;
using plaza::events::testing::Users;
using plaza::events::v1::Event;

namespace {

Event FriendAdded(int64_t event_id, int64_t friend_user_id) {
  Event event;
  event.set_event_id(event_id);
  event.mutable_time()->set_seconds(1'700'000'000);
  event.mutable_friend_added()->set_friend_user_id(friend_user_id);
  return event;
}

Event EventOf(const Delivery& delivery) {
  Event event;
  REQUIRE(event.ParseFromString(delivery.event));
  return event;
}

const Delivery& AsDelivery(const InstanceMessage& message) {
  REQUIRE(std::holds_alternative<Delivery>(message));
  return std::get<Delivery>(message);
}

// Calls of `command` the server has counted, from INFO commandstats.
int64_t CommandCalls(plaza::redis::Pool& pool, std::string_view command) {
  std::string info = Ok(pool.Command({"INFO", "commandstats"})).str();
  std::string marker = "cmdstat_" + std::string(command) + ":calls=";
  auto at = info.find(marker);
  if (at == std::string::npos) return 0;
  return std::stoll(info.substr(at + marker.size()));
}

}  // namespace

TEST_CASE("An event reaches each instance with only its own recipients", "[events][publish][db]") {
  Users users;
  const int64_t u1 = users.New(), u2 = users.New(), u3 = users.New(), u4 = users.New();
  RouteRegistry a(SharedPool(), NewInstanceId("a"), 60s);
  RouteRegistry b(SharedPool(), NewInstanceId("b"), 60s);
  Listener a_channel(a.instance_id());
  Listener b_channel(b.instance_id());
  Ok(a.Claim(u1, "phone", 1));
  Ok(b.Claim(u2, "phone", 2));
  Ok(a.Claim(u2, "desktop", 3));
  Ok(b.Claim(u4, "desktop", 4));
  Ok(a.Claim(u4, "pad", 5));

  Publisher publisher(SharedPool());
  const Event event = FriendAdded(99, u1);
  // u2 sends from their phone (on b): b has no other device of u2, so b hears only of u4.
  auto offline =
      Ok(publisher.Publish(event, {u1, u2, u3, u4, u1, u3}, Publisher::Exclude{u2, "phone"}));
  CHECK(offline == std::vector<int64_t>{u3});

  auto on_a = a_channel.WaitFor(1);
  REQUIRE(on_a.size() == 1);
  const Delivery& to_a = AsDelivery(on_a[0]);
  CHECK(to_a.recipients == std::vector<int64_t>{u1, u2, u4});
  CHECK(to_a.exclude == DeviceRef{u2, "phone"});
  CHECK(EventOf(to_a).SerializeAsString() == event.SerializeAsString());
  CHECK(EventOf(to_a).friend_added().friend_user_id() == u1);

  auto on_b = b_channel.WaitFor(1);
  REQUIRE(on_b.size() == 1);
  const Delivery& to_b = AsDelivery(on_b[0]);
  CHECK(to_b.recipients == std::vector<int64_t>{u4});
  CHECK(to_b.exclude == DeviceRef{u2, "phone"});
  CHECK(EventOf(to_b).event_id() == 99);

  // Without an exclude the field is empty.
  CHECK(Ok(publisher.Publish(FriendAdded(100, u2), {u2})).empty());
  on_b = b_channel.WaitFor(2);
  REQUIRE(on_b.size() == 2);
  CHECK(AsDelivery(on_b[1]).recipients == std::vector<int64_t>{u2});
  CHECK(AsDelivery(on_b[1]).exclude == std::nullopt);
  CHECK(a_channel.WaitFor(2).size() == 2);
  CHECK(a_channel.malformed() == 0);
  CHECK(b_channel.malformed() == 0);
}

TEST_CASE("A user whose only live device is excluded is online but gets nothing",
          "[events][publish][db]") {
  Users users;
  const int64_t sender = users.New(), marker = users.New();
  RouteRegistry a(SharedPool(), NewInstanceId("a"), 60s);
  Listener a_channel(a.instance_id());
  Ok(a.Claim(sender, "phone", 1));
  Ok(a.Claim(marker, "phone", 2));

  Publisher publisher(SharedPool());
  CHECK(Ok(publisher.Publish(FriendAdded(1, 1), {sender}, Publisher::Exclude{sender, "phone"}))
            .empty());
  // Messages on a channel keep their order: if the first one to arrive is the marker, nothing
  // was published before it.
  CHECK(Ok(publisher.Publish(FriendAdded(2, 1), {marker})).empty());
  auto messages = a_channel.WaitFor(1);
  REQUIRE(messages.size() == 1);
  CHECK(AsDelivery(messages[0]).recipients == std::vector<int64_t>{marker});
}

TEST_CASE("Users whose routes expired count as offline", "[events][publish][db]") {
  Users users;
  const int64_t gone = users.New(), here = users.New();
  RouteRegistry brief(SharedPool(), NewInstanceId("brief"), 200ms);
  RouteRegistry lasting(SharedPool(), NewInstanceId("lasting"), 60s);
  Listener brief_channel(brief.instance_id());
  Ok(brief.Claim(gone, "phone", 1));
  Ok(brief.Claim(here, "desktop", 2));
  Ok(lasting.Claim(here, "phone", 3));
  std::this_thread::sleep_for(300ms);

  Publisher publisher(SharedPool());
  CHECK(Ok(publisher.Publish(FriendAdded(1, 1), {gone, here})) == std::vector<int64_t>{gone});
  // The expired entries went away with the publish that saw them.
  CHECK(Ok(SharedPool().Command({"EXISTS", plaza::events::RouteKey(gone)})).integer() == 0);
  CHECK(Ok(SharedPool().Command({"HLEN", plaza::events::RouteKey(here)})).integer() == 1);
  // Nothing went to the instance whose routes expired.
  Ok(brief.Claim(here, "marker", 4));
  CHECK(Ok(publisher.Publish(FriendAdded(2, 1), {here})).empty());
  auto messages = brief_channel.WaitFor(1);
  REQUIRE(messages.size() == 1);
  CHECK(EventOf(AsDelivery(messages[0])).event_id() == 2);
}

TEST_CASE("Ten thousand users are published to in one script call", "[events][publish][db]") {
  // A private server, so that its command counts are this test's alone.
  plaza::testing::RedisServer server;
  plaza::redis::Pool pool({.url = server.Url()});
  RouteRegistry a(pool, NewInstanceId("a"), 60s);
  RouteRegistry b(pool, NewInstanceId("b"), 60s);
  Listener a_channel(a.instance_id(), server.Url());
  Listener b_channel(b.instance_id(), server.Url());

  std::vector<int64_t> users, expected_offline, on_a, on_b;
  for (int64_t user = 1; user <= static_cast<int64_t>(plaza::events::kMaxUsersPerCall); ++user) {
    users.push_back(user);
    if (user % 10 == 1) {
      Ok(a.Claim(user, "phone", 1));
      on_a.push_back(user);
    } else if (user % 10 == 2) {
      Ok(b.Claim(user, "phone", 1));
      on_b.push_back(user);
    } else {
      expected_offline.push_back(user);
    }
  }
  Publisher publisher(pool);
  Ok(publisher.Publish(FriendAdded(1, 1), {1}));  // loads the script

  const int64_t evalsha = CommandCalls(pool, "evalsha");
  const int64_t eval = CommandCalls(pool, "eval");
  const int64_t publish = CommandCalls(pool, "publish");
  CHECK(Ok(publisher.Publish(FriendAdded(2, 1), users)) == expected_offline);
  CHECK(CommandCalls(pool, "evalsha") == evalsha + 1);
  CHECK(CommandCalls(pool, "eval") == eval);
  CHECK(CommandCalls(pool, "publish") == publish + 2);

  auto messages = a_channel.WaitFor(2);
  REQUIRE(messages.size() == 2);
  CHECK(AsDelivery(messages[1]).recipients == on_a);
  messages = b_channel.WaitFor(1);
  REQUIRE(messages.size() == 1);
  CHECK(AsDelivery(messages[0]).recipients == on_b);
  CHECK(EventOf(AsDelivery(messages[0])).event_id() == 2);
}

TEST_CASE("Publish refuses bad input and needs no Redis for no users", "[events][publish][db]") {
  plaza::redis::Pool down(
      {.url = "redis://127.0.0.1:" + std::to_string(plaza::testing::FreePort())});
  Publisher publisher(down);
  const Event event = FriendAdded(1, 1);

  CHECK(Ok(publisher.Publish(event, {})).empty());
  CHECK(Ok(publisher.Publish(event, {}, Publisher::Exclude{1, "phone"})).empty());

  std::vector<int64_t> too_many(plaza::events::kMaxUsersPerCall + 1);
  for (size_t i = 0; i < too_many.size(); ++i) too_many[i] = static_cast<int64_t>(i + 1);
  auto refused = publisher.Publish(event, too_many);
  CHECK(refused.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(plaza::ReasonOf(refused.status()) == "TOO_MANY_USERS");

  CHECK(plaza::ReasonOf(publisher.Publish(event, {1, 0}).status()) == "USER_ID_INVALID");
  CHECK(plaza::ReasonOf(publisher.Publish(event, {1}, Publisher::Exclude{1, "a b"}).status()) ==
        "DEVICE_ID_INVALID");

  Event huge = event;
  huge.GetReflection()->MutableUnknownFields(&huge)->AddLengthDelimited(
      1000, std::string(Publisher::kMaxEventBytes, 'x'));
  CHECK(plaza::ReasonOf(publisher.Publish(huge, {1}).status()) == "EVENT_TOO_LARGE");
}

TEST_CASE("Publish is UNAVAILABLE while Redis is down", "[events][publish][db]") {
  plaza::testing::RedisServer server;
  plaza::redis::Pool pool({.url = server.Url()});
  Publisher publisher(pool);
  CHECK(Ok(publisher.Publish(FriendAdded(1, 1), {1})) == std::vector<int64_t>{1});

  server.Stop();
  auto status = publisher.Publish(FriendAdded(2, 1), {1}).status();
  INFO(status.ToString());
  CHECK(status.code() == absl::StatusCode::kUnavailable);
  CHECK(plaza::ReasonOf(status) == "REDIS_UNAVAILABLE");

  server.Start();
  CHECK(Ok(publisher.Publish(FriendAdded(3, 1), {1})) == std::vector<int64_t>{1});
}
