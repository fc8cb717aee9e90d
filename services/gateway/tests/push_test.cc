// Push over real Redis: events reach every device of a user across gateway instances, in order;
// offline users are reported; slow devices are closed with a resync; a second Connect replaces
// the first; routes are kept alive and released; Redis outages end in a resync.

#include <catch2/catch.hpp>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "plaza/events/publisher.h"
#include "plaza/events/routes.h"
#include "plaza/gateway/v1/push_service.grpc.pb.h"
#include "plaza/testing/testing.h"
#include "services/gateway/tests/gateway_harness.h"
#include "services/gateway/tests/push_client.h"

using namespace std::chrono_literals;
using plaza::gateway::testing::GatewayHarness;
using plaza::gateway::testing::HarnessOptions;
using plaza::gateway::testing::PushClient;
using plaza::gateway::v1::ConnectRequest;
using plaza::gateway::v1::ConnectResponse;
using plaza::gateway::v1::PushService;

namespace {

std::string Trailer(const grpc::ClientContext& context, const std::string& key) {
  const auto& trailers = context.GetServerTrailingMetadata();
  auto it = trailers.find(key);
  return it == trailers.end() ? "" : std::string(it->second.data(), it->second.size());
}

// A connection with a tiny HTTP/2 window, so a stream that is not read stalls after a few events.
std::shared_ptr<grpc::Channel> TinyWindowChannel(const GatewayHarness& gateway) {
  static std::atomic<int> serial{0};
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 1024);
  args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  args.SetInt("plaza.test.tiny-window", ++serial);
  return grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(gateway.port()),
                                   grpc::InsecureChannelCredentials(), args);
}

// A device of `user_id` holding a Connect stream to `gateway`.
class Device : public PushClient {
 public:
  Device(GatewayHarness& gateway, int64_t user_id, const std::string& device_id,
         int64_t session_id = 1)
      : PushClient(gateway.NewChannel(), gateway.Token(user_id, device_id, session_id)) {}
};

plaza::events::v1::Event FriendRequest(int64_t request_id) {
  plaza::events::v1::Event event;
  event.set_event_id(request_id);
  event.mutable_friend_request_received()->set_request_id(request_id);
  event.mutable_friend_request_received()->set_from_user_id(1);
  return event;
}

struct TwoGateways {
  explicit TwoGateways(HarnessOptions options = {}) {
    options.routes = "identity=127.0.0.1:1";
    options.redis_url = redis.Url();
    options.instance_id = "gw-a";
    a = std::make_unique<GatewayHarness>(options);
    options.instance_id = "gw-b";
    b = std::make_unique<GatewayHarness>(options);
    REQUIRE(a->WaitSubscribed(5s));
    REQUIRE(b->WaitSubscribed(5s));
    pool = std::make_unique<plaza::redis::Pool>(plaza::redis::PoolOptions{.url = redis.Url()});
    publisher = std::make_unique<plaza::events::Publisher>(*pool);
  }
  ~TwoGateways() {
    a.reset();
    b.reset();
  }

  plaza::testing::RedisServer redis;
  std::unique_ptr<GatewayHarness> a;
  std::unique_ptr<GatewayHarness> b;
  std::unique_ptr<plaza::redis::Pool> pool;
  std::unique_ptr<plaza::events::Publisher> publisher;
};

}  // namespace

TEST_CASE("an event reaches every device of a user across gateway instances", "[push]") {
  TwoGateways cluster;
  Device phone(*cluster.a, 10, "phone");
  Device laptop(*cluster.b, 10, "laptop");
  Device other(*cluster.b, 11, "phone");
  REQUIRE(phone.Connected());
  REQUIRE(laptop.Connected());
  REQUIRE(other.Connected());

  auto offline = cluster.publisher->Publish(FriendRequest(500), {10, 12});
  REQUIRE(offline.ok());
  CHECK(*offline == std::vector<int64_t>{12});
  for (Device* device : {&phone, &laptop}) {
    auto message = device->NextEvent();
    REQUIRE(message);
    REQUIRE(message->has_event());
    CHECK(message->event().friend_request_received().request_id() == 500);
  }
  CHECK_FALSE(other.NextEvent(300ms));  // not a recipient

  // Excluding the sender's own device.
  REQUIRE(
      cluster.publisher->Publish(FriendRequest(501), {10}, plaza::events::DeviceRef{10, "phone"})
          .ok());
  auto on_laptop = laptop.NextEvent();
  REQUIRE(on_laptop);
  CHECK(on_laptop->event().event_id() == 501);
  CHECK_FALSE(phone.NextEvent(300ms));
}

TEST_CASE("events arrive in publish order per recipient", "[push]") {
  TwoGateways cluster;
  Device phone(*cluster.a, 20, "phone");
  Device laptop(*cluster.b, 20, "laptop");
  REQUIRE(phone.Connected());
  REQUIRE(laptop.Connected());
  for (int i = 1; i <= 200; ++i) REQUIRE(cluster.publisher->Publish(FriendRequest(i), {20}).ok());
  for (Device* device : {&phone, &laptop}) {
    for (int i = 1; i <= 200; ++i) {
      auto message = device->NextEvent();
      REQUIRE(message);
      REQUIRE(message->event().event_id() == i);
    }
  }
}

TEST_CASE("presence follows streams: routes while connected, gone after", "[push]") {
  TwoGateways cluster;
  {
    Device phone(*cluster.a, 30, "phone");
    Device laptop(*cluster.b, 30, "laptop");
    REQUIRE(phone.Connected());
    REQUIRE(laptop.Connected());
    auto online = plaza::events::OnlineDevices(*cluster.pool, {30, 31});
    REQUIRE(online.ok());
    REQUIRE(online->count(30) == 1);
    CHECK(online->at(30).size() == 2);
    CHECK(online->count(31) == 0);
  }
  // Both streams ended: the routes go with them.
  bool gone = false;
  for (int attempt = 0; attempt < 100 && !gone; ++attempt) {
    auto online = plaza::events::OnlineDevices(*cluster.pool, {30});
    gone = online.ok() && online->empty();
    if (!gone) std::this_thread::sleep_for(20ms);
  }
  CHECK(gone);
  CHECK(cluster.a->push().open_streams() == 0);
}

TEST_CASE("routes outlive their TTL while refreshed", "[push]") {
  HarnessOptions options;
  options.route_ttl = 1500ms;  // refreshed every 500 ms by a ticker that runs each second
  TwoGateways cluster(options);
  Device phone(*cluster.a, 35, "phone");
  REQUIRE(phone.Connected());
  std::this_thread::sleep_for(4s);
  auto offline = cluster.publisher->Publish(FriendRequest(1), {35});
  REQUIRE(offline.ok());
  CHECK(offline->empty());
  CHECK(phone.NextEvent());
}

TEST_CASE("a second Connect of the same device replaces the first", "[push]") {
  TwoGateways cluster;
  SECTION("on the same instance") {
    Device first(*cluster.a, 40, "phone");
    REQUIRE(first.Connected());
    Device second(*cluster.a, 40, "phone");
    REQUIRE(second.Connected());
    auto ended = first.Ended();
    REQUIRE(ended);
    CHECK(ended->error_code() == grpc::StatusCode::ABORTED);
    CHECK(first.Reason() == "STREAM_REPLACED");
    REQUIRE(cluster.publisher->Publish(FriendRequest(7), {40}).ok());
    CHECK(second.NextEvent()->event().event_id() == 7);
  }
  SECTION("on another instance") {
    Device first(*cluster.a, 41, "phone");
    REQUIRE(first.Connected());
    Device second(*cluster.b, 41, "phone");
    REQUIRE(second.Connected());
    auto ended = first.Ended();
    REQUIRE(ended);
    CHECK(ended->error_code() == grpc::StatusCode::ABORTED);
    CHECK(first.Reason() == "STREAM_REPLACED");
    REQUIRE(cluster.publisher->Publish(FriendRequest(8), {41}).ok());
    CHECK(second.NextEvent()->event().event_id() == 8);
    // The replaced stream's end did not take the new route with it.
    auto online = plaza::events::OnlineDevices(*cluster.pool, {41});
    REQUIRE(online.ok());
    REQUIRE(online->at(41).size() == 1);
    CHECK(online->at(41)[0].instance_id == "gw-b");
  }
}

TEST_CASE("a device that falls behind is closed with a resync, others are unaffected", "[push]") {
  HarnessOptions options;
  options.push_queue_limit = 8;
  TwoGateways cluster(options);
  auto stub = PushService::NewStub(TinyWindowChannel(*cluster.a));
  grpc::ClientContext slow_context;
  slow_context.AddMetadata("authorization", "Bearer " + cluster.a->Token(50, "slow", 1));
  auto slow = stub->Connect(&slow_context, ConnectRequest());
  ConnectResponse first;
  REQUIRE(slow->Read(&first));  // connected; now it stops reading
  Device fast(*cluster.a, 51, "fast");
  REQUIRE(fast.Connected());

  // In rounds smaller than the queue limit, each read by the fast device before the next, so
  // only the device that stopped reading can fall behind.
  constexpr int kRound = 6;
  for (int round = 0; round < 2000 / kRound; ++round) {
    for (int i = 1; i <= kRound; ++i) {
      REQUIRE(cluster.publisher->Publish(FriendRequest(round * kRound + i), {50, 51}).ok());
    }
    for (int i = 1; i <= kRound; ++i) {
      auto message = fast.NextEvent();
      REQUIRE(message);
      REQUIRE(message->event().event_id() == round * kRound + i);
    }
  }
  // The slow device reads what was already on its way, then the reason.
  ConnectResponse message;
  int received = 0;
  while (slow->Read(&message)) ++received;
  grpc::Status status = slow->Finish();
  CHECK(status.error_code() == grpc::StatusCode::UNAVAILABLE);
  CHECK(Trailer(slow_context, "x-plaza-reason") == "RESYNC_REQUIRED");
  CHECK(received < 1000);
  CHECK(cluster.a->server().metrics().Value(
            "plaza_gateway_events_dropped_total",
            plaza::rpc::Metrics::Labels({{"reason", "slow_consumer"}})) > 0);
}

TEST_CASE("a device that stops reading altogether is closed and its stream freed", "[push]") {
  HarnessOptions options;
  options.heartbeat_interval = 1s;  // a write stuck for 2 s closes; 2 s more cancels
  TwoGateways cluster(options);
  auto stub = PushService::NewStub(TinyWindowChannel(*cluster.a));
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + cluster.a->Token(55, "stuck", 1));
  auto stuck = stub->Connect(&context, ConnectRequest());
  ConnectResponse first;
  REQUIRE(stuck->Read(&first));
  // Enough to stall the stream, far fewer than the queue limit.
  for (int i = 1; i <= 100; ++i) REQUIRE(cluster.publisher->Publish(FriendRequest(i), {55}).ok());
  REQUIRE(cluster.a->push().open_streams() == 1);
  bool freed = false;
  for (int attempt = 0; attempt < 120 && !freed; ++attempt) {
    freed = cluster.a->push().open_streams() == 0;
    if (!freed) std::this_thread::sleep_for(100ms);
  }
  CHECK(freed);
  ConnectResponse message;
  while (stuck->Read(&message)) {
  }
  CHECK_FALSE(stuck->Finish().ok());
}

TEST_CASE("Connect needs a valid token and a live Redis subscription", "[push]") {
  TwoGateways cluster;
  {
    auto stub = PushService::NewStub(cluster.a->NewChannel());
    grpc::ClientContext context;
    auto reader = stub->Connect(&context, ConnectRequest());
    ConnectResponse message;
    CHECK_FALSE(reader->Read(&message));
    CHECK(reader->Finish().error_code() == grpc::StatusCode::UNAUTHENTICATED);
  }
  {
    auto stub = PushService::NewStub(cluster.a->NewChannel());
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + cluster.a->ForeignToken(60));
    auto reader = stub->Connect(&context, ConnectRequest());
    ConnectResponse message;
    CHECK_FALSE(reader->Read(&message));
    CHECK(reader->Finish().error_code() == grpc::StatusCode::UNAUTHENTICATED);
  }
}

TEST_CASE("a revoked session's stream gets the event and ends", "[push]") {
  TwoGateways cluster;
  Device revoked(*cluster.a, 70, "old-phone", /*session_id=*/700);
  Device kept(*cluster.a, 70, "laptop", /*session_id=*/701);
  REQUIRE(revoked.Connected());
  REQUIRE(kept.Connected());
  plaza::events::v1::Event event;
  event.set_event_id(1);
  event.mutable_session_revoked()->set_session_id(700);
  REQUIRE(cluster.publisher->Publish(event, {70}).ok());
  CHECK(revoked.NextEvent()->event().has_session_revoked());
  auto ended = revoked.Ended();
  REQUIRE(ended);
  CHECK(ended->error_code() == grpc::StatusCode::UNAUTHENTICATED);
  CHECK(revoked.Reason() == "SESSION_REVOKED");
  CHECK(kept.NextEvent()->event().has_session_revoked());
  CHECK_FALSE(kept.Ended(300ms));
}

TEST_CASE("quiet streams get heartbeats", "[push]") {
  HarnessOptions options;
  options.heartbeat_interval = 1s;
  TwoGateways cluster(options);
  Device phone(*cluster.a, 80, "phone");
  REQUIRE(phone.Connected());
  auto message = phone.Next(4s);
  REQUIRE(message);
  CHECK(message->has_heartbeat());
}

TEST_CASE("after a Redis outage streams are told to resync and pushes resume", "[push][redis]") {
  TwoGateways cluster;
  Device phone(*cluster.a, 90, "phone");
  REQUIRE(phone.Connected());
  cluster.redis.Stop();
  {
    // New streams are refused while events cannot arrive.
    bool refused = false;
    for (int attempt = 0; attempt < 50 && !refused; ++attempt) {
      Device late(*cluster.a, 91, "phone");
      auto first = late.Next(2s);
      refused = !first;
      if (refused) {
        CHECK(late.Ended()->error_code() == grpc::StatusCode::UNAVAILABLE);
      }
    }
    CHECK(refused);
  }
  cluster.redis.Start();  // empty: routes and messages published meanwhile are gone
  auto resync = phone.NextEvent(10s);
  REQUIRE(resync);
  CHECK(resync->has_resync());
  REQUIRE(cluster.a->WaitSubscribed(5s));
  auto offline = cluster.publisher->Publish(FriendRequest(3), {90});
  REQUIRE(offline.ok());
  CHECK(offline->empty());  // the route was claimed again
  CHECK(phone.NextEvent()->event().event_id() == 3);
}
