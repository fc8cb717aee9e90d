#include "plaza/events/routes.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <variant>

#include "fixtures.h"
#include "plaza/core/status.h"

using namespace std::chrono_literals;
using plaza::events::DeviceRoute;
using plaza::events::InstanceMessage;
using plaza::events::OnlineDevices;
using plaza::events::Replace;
using plaza::events::RouteKey;
using plaza::events::RouteRegistry;
using plaza::events::testing::Listener;
using plaza::events::testing::NewInstanceId;
using plaza::events::testing::Ok;
using plaza::events::testing::SharedPool;
using plaza::events::testing::Users;

namespace {

// The user's live routes, as OnlineDevices sees them.
std::vector<DeviceRoute> Online(int64_t user) {
  auto online = Ok(OnlineDevices(SharedPool(), {user}));
  auto it = online.find(user);
  return it == online.end() ? std::vector<DeviceRoute>{} : it->second;
}

int64_t HashLength(int64_t user) {
  return Ok(SharedPool().Command({"HLEN", RouteKey(user)})).integer();
}

int64_t KeyTtlMs(int64_t user) {
  return Ok(SharedPool().Command({"PTTL", RouteKey(user)})).integer();
}

}  // namespace

TEST_CASE("A route is claimed, refreshed and released", "[events][routes][db]") {
  Users users;
  const int64_t user = users.New();
  RouteRegistry registry(SharedPool(), NewInstanceId("gw"), 60s);
  const DeviceRoute route{user, "phone", registry.instance_id(), 7};

  CHECK(Ok(registry.Claim(user, "phone", 7)) == std::nullopt);
  CHECK(Online(user) == std::vector<DeviceRoute>{route});
  CHECK(KeyTtlMs(user) > 59'000);

  // Claiming again with the same connection (after a resubscribe) is no takeover.
  CHECK(Ok(registry.Claim(user, "phone", 7)) == std::nullopt);
  CHECK(Ok(registry.Refresh({route})).empty());
  CHECK(Online(user) == std::vector<DeviceRoute>{route});

  Ok(registry.Release(user, "phone", 7));
  CHECK(Online(user).empty());
  CHECK(Ok(SharedPool().Command({"EXISTS", RouteKey(user)})).integer() == 0);
  // Releasing what is gone is fine; refreshing it reports it lost.
  Ok(registry.Release(user, "phone", 7));
  CHECK(Ok(registry.Refresh({route})) == std::vector<DeviceRoute>{route});
  CHECK(Online(user).empty());
}

TEST_CASE("A route expires after its ttl unless refreshed", "[events][routes][db]") {
  Users users;
  const int64_t kept = users.New(), dropped = users.New();
  RouteRegistry registry(SharedPool(), NewInstanceId("gw"), 300ms);
  Ok(registry.Claim(kept, "phone", 1));
  Ok(registry.Claim(dropped, "phone", 2));
  CHECK(KeyTtlMs(dropped) <= 300);
  CHECK(Online(dropped).size() == 1);

  const DeviceRoute kept_route{kept, "phone", registry.instance_id(), 1};
  for (int i = 0; i < 6; ++i) {
    std::this_thread::sleep_for(100ms);
    CHECK(Ok(registry.Refresh({kept_route})).empty());
  }
  CHECK(Online(kept) == std::vector<DeviceRoute>{kept_route});
  CHECK(Online(dropped).empty());
  CHECK(Ok(registry.Refresh({{dropped, "phone", registry.instance_id(), 2}})).size() == 1);
}

TEST_CASE("An expired entry counts as absent and is deleted when a script sees it",
          "[events][routes][db]") {
  Users users;
  const int64_t user = users.New();
  RouteRegistry lasting(SharedPool(), NewInstanceId("lasting"), 60s);
  RouteRegistry brief(SharedPool(), NewInstanceId("brief"), 200ms);
  Ok(brief.Claim(user, "tablet", 3));
  Ok(lasting.Claim(user, "phone", 4));
  // The key lives as long as its longest entry, whatever order the claims came in.
  CHECK(KeyTtlMs(user) > 59'000);
  std::this_thread::sleep_for(300ms);
  CHECK(HashLength(user) == 2);  // the tablet's entry outlived its expiry...
  CHECK(Online(user) == std::vector<DeviceRoute>{{user, "phone", lasting.instance_id(), 4}});
  CHECK(HashLength(user) == 1);  // ...until a script saw it

  // A claim over an expired route on another instance takes nothing over and tells nobody.
  Listener brief_channel(brief.instance_id());
  Ok(brief.Claim(user, "watch", 5));
  std::this_thread::sleep_for(300ms);
  CHECK(Ok(lasting.Claim(user, "watch", 6)) == std::nullopt);
  Ok(brief.Claim(user, "marker", 1));
  Ok(lasting.Claim(user, "marker", 2));  // replaces a live route: the one message expected
  auto messages = brief_channel.WaitFor(1);
  REQUIRE(messages.size() == 1);
  CHECK(std::get<Replace>(messages[0]) == Replace{user, "marker", 1});
}

TEST_CASE("A newer connection takes a route over; the stale one cannot release or refresh it",
          "[events][routes][db]") {
  Users users;
  const int64_t user = users.New();
  RouteRegistry registry(SharedPool(), NewInstanceId("gw"), 60s);
  Ok(registry.Claim(user, "phone", 1));

  // On the same instance: the caller learns the old connection and closes it itself.
  auto previous = Ok(registry.Claim(user, "phone", 2));
  CHECK(previous == DeviceRoute{user, "phone", registry.instance_id(), 1});

  Ok(registry.Release(user, "phone", 1));
  const DeviceRoute current{user, "phone", registry.instance_id(), 2};
  CHECK(Online(user) == std::vector<DeviceRoute>{current});
  const DeviceRoute stale{user, "phone", registry.instance_id(), 1};
  CHECK(Ok(registry.Refresh({stale, current})) == std::vector<DeviceRoute>{stale});
  CHECK(Online(user) == std::vector<DeviceRoute>{current});
}

TEST_CASE("A claim over a route on another instance tells that instance to close its stream",
          "[events][routes][db]") {
  Users users;
  const int64_t user = users.New(), other = users.New();
  RouteRegistry first(SharedPool(), NewInstanceId("first"), 60s);
  RouteRegistry second(SharedPool(), NewInstanceId("second"), 60s);
  Listener first_channel(first.instance_id());
  Listener second_channel(second.instance_id());

  Ok(first.Claim(user, "phone", 11));
  Ok(first.Claim(other, "phone", 12));
  Ok(first.Claim(user, "desktop", 13));
  auto previous = Ok(second.Claim(user, "phone", 21));
  CHECK(previous == DeviceRoute{user, "phone", first.instance_id(), 11});

  auto messages = first_channel.WaitFor(1);
  REQUIRE(messages.size() == 1);
  CHECK(std::get<Replace>(messages[0]) == Replace{user, "phone", 11});

  CHECK(Online(user) == std::vector<DeviceRoute>{{user, "desktop", first.instance_id(), 13},
                                                 {user, "phone", second.instance_id(), 21}});
  // The first instance's heartbeat finds the route gone and leaves the new one alone.
  const DeviceRoute old{user, "phone", first.instance_id(), 11};
  CHECK(Ok(first.Refresh({old, {other, "phone", first.instance_id(), 12}})) ==
        std::vector<DeviceRoute>{old});
  Ok(first.Release(user, "phone", 11));
  CHECK(Online(user).size() == 2);

  // And back: the second instance hears about it in turn.
  CHECK(Ok(first.Claim(user, "phone", 14)) == DeviceRoute{user, "phone", second.instance_id(), 21});
  messages = second_channel.WaitFor(1);
  REQUIRE(messages.size() == 1);
  CHECK(std::get<Replace>(messages[0]) == Replace{user, "phone", 21});
  CHECK(first_channel.WaitFor(1).size() == 1);
  CHECK(first_channel.malformed() == 0);
}

TEST_CASE("Refresh handles more routes than one batch", "[events][routes][db]") {
  Users users;
  RouteRegistry registry(SharedPool(), NewInstanceId("gw"), 60s);
  std::vector<DeviceRoute> routes;
  std::vector<DeviceRoute> lost;
  for (size_t i = 0; i < RouteRegistry::kRefreshBatch * 2 + 10; ++i) {
    const int64_t user = users.New();
    DeviceRoute route{user, "phone", registry.instance_id(), i + 1};
    if (i % 500 == 7) {
      lost.push_back(route);  // never claimed
    } else {
      Ok(registry.Claim(user, "phone", i + 1));
    }
    routes.push_back(route);
  }
  CHECK(Ok(registry.Refresh(routes)) == lost);
  CHECK(Ok(registry.Refresh({})).empty());
}

TEST_CASE("OnlineDevices lists each user's live devices in one call", "[events][routes][db]") {
  Users users;
  const int64_t alice = users.New(), bob = users.New(), carol = users.New();
  RouteRegistry gw1(SharedPool(), NewInstanceId("gw1"), 60s);
  RouteRegistry gw2(SharedPool(), NewInstanceId("gw2"), 60s);
  Ok(gw1.Claim(alice, "phone", 1));
  Ok(gw2.Claim(alice, "desktop", 2));
  Ok(gw2.Claim(bob, "phone", 3));

  auto online = Ok(OnlineDevices(SharedPool(), {alice, bob, carol, alice}));
  CHECK(online.size() == 2);
  CHECK(online[alice] == std::vector<DeviceRoute>{{alice, "desktop", gw2.instance_id(), 2},
                                                  {alice, "phone", gw1.instance_id(), 1}});
  CHECK(online[bob] == std::vector<DeviceRoute>{{bob, "phone", gw2.instance_id(), 3}});
  CHECK(online.count(carol) == 0);

  CHECK(Ok(OnlineDevices(SharedPool(), {})).empty());
  std::vector<int64_t> too_many(plaza::events::kMaxUsersPerCall + 1, alice);
  auto refused = OnlineDevices(SharedPool(), too_many);
  CHECK(plaza::ReasonOf(refused.status()) == "TOO_MANY_USERS");
  CHECK(plaza::ReasonOf(OnlineDevices(SharedPool(), {alice, 0}).status()) == "USER_ID_INVALID");
}

TEST_CASE("Bad input is INVALID_ARGUMENT and changes nothing", "[events][routes][db]") {
  Users users;
  const int64_t user = users.New();
  CHECK_THROWS_AS(RouteRegistry(SharedPool(), "gw 1", 1s), std::invalid_argument);
  CHECK_THROWS_AS(RouteRegistry(SharedPool(), "", 1s), std::invalid_argument);
  CHECK_THROWS_AS(RouteRegistry(SharedPool(), "gw", 0ms), std::invalid_argument);

  RouteRegistry registry(SharedPool(), NewInstanceId("gw"), 60s);
  auto status = registry.Claim(user, "a:b", 1).status();
  CHECK(status.code() == absl::StatusCode::kInvalidArgument);
  CHECK(plaza::ReasonOf(status) == "DEVICE_ID_INVALID");
  CHECK(plaza::ReasonOf(registry.Claim(-1, "phone", 1).status()) == "USER_ID_INVALID");
  CHECK(plaza::ReasonOf(registry.Release(user, "", 1)) == "DEVICE_ID_INVALID");
  CHECK(plaza::ReasonOf(registry.Refresh({{user, "phone", "elsewhere", 1}}).status()) ==
        "INSTANCE_ID_MISMATCH");
  CHECK(Online(user).empty());
}

TEST_CASE("Route calls are UNAVAILABLE while Redis is down", "[events][routes][db]") {
  plaza::redis::Pool down(
      {.url = "redis://127.0.0.1:" + std::to_string(plaza::testing::FreePort())});
  RouteRegistry registry(down, "gw", 1s);
  for (const absl::Status& status :
       {registry.Claim(1, "phone", 1).status(), registry.Refresh({{1, "phone", "gw", 1}}).status(),
        registry.Release(1, "phone", 1), OnlineDevices(down, {1}).status()}) {
    INFO(status.ToString());
    CHECK(status.code() == absl::StatusCode::kUnavailable);
    CHECK(plaza::ReasonOf(status) == "REDIS_UNAVAILABLE");
  }
}
