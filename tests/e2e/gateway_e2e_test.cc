// Through the gateway, with the real plaza-gateway and plaza-identity processes: sign-up and
// authenticated calls, what stays hidden, pushes driven by identity, failures of a backend, of
// Redis and of the gateway itself, and draining.

#include <grpcpp/generic/generic_stub.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <future>
#include <thread>

#include "plaza/events/routes.h"
#include "plaza/redis/redis.h"
#include "services/gateway/tests/push_client.h"
#include "tests/e2e/cluster.h"

using namespace std::chrono_literals;
using plaza::e2e::Account;
using plaza::e2e::Authorize;
using plaza::e2e::Cluster;
using plaza::gateway::testing::PushClient;
namespace v1 = plaza::identity::v1;

namespace {

std::string Trailer(const grpc::ClientContext& context, const std::string& key) {
  const auto& trailers = context.GetServerTrailingMetadata();
  auto it = trailers.find(key);
  return it == trailers.end() ? "" : std::string(it->second.data(), it->second.size());
}

grpc::Status GetMyProfile(Cluster& cluster, const Account& account,
                          v1::GetMyProfileResponse* response) {
  grpc::ClientContext context;
  Authorize(context, account);
  context.set_deadline(std::chrono::system_clock::now() + 5s);
  return cluster.Identity()->GetMyProfile(&context, v1::GetMyProfileRequest(), response);
}

}  // namespace

TEST_CASE("a client signs up and is served through the gateway, and internals stay hidden",
          "[e2e]") {
  Cluster cluster;
  Account alice = cluster.SignUp("Alice", "alice-phone");
  Account bob = cluster.SignUp("Bob", "bob-phone");

  v1::GetMyProfileResponse profile;
  REQUIRE(GetMyProfile(cluster, alice, &profile).ok());
  CHECK(profile.profile().user_id() == alice.user_id);
  CHECK(profile.profile().display_name() == "Alice");

  {  // No token: refused at the door.
    grpc::ClientContext context;
    CHECK(cluster.Identity()
              ->GetMyProfile(&context, v1::GetMyProfileRequest(), &profile)
              .error_code() == grpc::StatusCode::UNAUTHENTICATED);
    CHECK(Trailer(context, "x-plaza-reason") == "TOKEN_MISSING");
  }
  {  // A forged identity header changes nothing: the token decides.
    grpc::ClientContext context;
    Authorize(context, bob);
    context.AddMetadata("x-plaza-user-id", std::to_string(alice.user_id));
    REQUIRE(cluster.Identity()->GetMyProfile(&context, v1::GetMyProfileRequest(), &profile).ok());
    CHECK(profile.profile().user_id() == bob.user_id);
  }
  {  // Internal methods are not routed.
    grpc::GenericStub stub(cluster.Connect());
    grpc::ClientContext context;
    Authorize(context, alice);
    grpc::Slice empty("");
    grpc::ByteBuffer request(&empty, 1);
    grpc::ByteBuffer response;
    std::promise<grpc::Status> done;
    stub.UnaryCall(&context, "/plaza.identity.v1.InternalService/GetFriendIds", grpc::StubOptions(),
                   &request, &response,
                   [&](grpc::Status status) { done.set_value(std::move(status)); });
    CHECK(done.get_future().get().error_code() == grpc::StatusCode::UNIMPLEMENTED);
  }
  // The gateway's metrics count the calls by route.
  CHECK_THAT(plaza::testing::HttpGet(cluster.gateway_metrics_port(), "/metrics"),
             Catch::Contains("plaza_rpc_requests_total{method=\"identity\",code=\"OK\"}"));
}

TEST_CASE("friend requests and acceptances are pushed to the online devices", "[e2e][push]") {
  Cluster cluster;
  Account alice = cluster.SignUp("Alice", "alice-phone");
  Account bob = cluster.SignUp("Bob", "bob-phone");
  Account bob_laptop = cluster.LogIn(bob, "bob-laptop");
  PushClient alice_phone(cluster.Connect(), alice.tokens.access_token());
  PushClient bob_phone(cluster.Connect(), bob.tokens.access_token());
  PushClient bob_desk(cluster.Connect(), bob_laptop.tokens.access_token());
  REQUIRE(alice_phone.Connected());
  REQUIRE(bob_phone.Connected());
  REQUIRE(bob_desk.Connected());

  // Bob approves new friends himself, so Alice's request waits for him.
  {
    grpc::ClientContext context;
    Authorize(context, bob);
    v1::UpdatePrivacySettingsRequest request;
    request.mutable_privacy()->set_findable_by_phone(true);
    request.mutable_privacy()->set_findable_by_plaza_id(true);
    request.mutable_privacy()->set_friend_requests_need_approval(true);
    v1::UpdatePrivacySettingsResponse response;
    REQUIRE(cluster.Identity()->UpdatePrivacySettings(&context, request, &response).ok());
  }
  grpc::ClientContext context;
  Authorize(context, alice);
  v1::SendFriendRequestRequest request;
  request.set_user_id(bob.user_id);
  request.set_greeting("hi Bob");
  request.set_source(v1::FRIEND_REQUEST_SOURCE_SEARCH);
  v1::SendFriendRequestResponse sent;
  REQUIRE(cluster.Identity()->SendFriendRequest(&context, request, &sent).ok());

  REQUIRE_FALSE(sent.became_friends());
  {
    for (PushClient* device : {&bob_phone, &bob_desk}) {
      auto pushed = device->NextEvent();
      REQUIRE(pushed);
      REQUIRE(pushed->event().has_friend_request_received());
      CHECK(pushed->event().friend_request_received().from_user_id() == alice.user_id);
      CHECK(pushed->event().friend_request_received().request_id() == sent.request().request_id());
    }
    grpc::ClientContext accept_context;
    Authorize(accept_context, bob);
    v1::AcceptFriendRequestRequest accept;
    accept.set_request_id(sent.request().request_id());
    v1::AcceptFriendRequestResponse accepted;
    REQUIRE(cluster.Identity()->AcceptFriendRequest(&accept_context, accept, &accepted).ok());
  }
  auto added = alice_phone.NextEvent();
  REQUIRE(added);
  REQUIRE(added->event().has_friend_added());
  CHECK(added->event().friend_added().friend_user_id() == bob.user_id);
}

TEST_CASE("logging out other devices ends their push streams at once", "[e2e][push]") {
  Cluster cluster;
  Account phone = cluster.SignUp("Carol", "carol-phone");
  Account laptop = cluster.LogIn(phone, "carol-laptop");
  PushClient laptop_stream(cluster.Connect(), laptop.tokens.access_token());
  PushClient phone_stream(cluster.Connect(), phone.tokens.access_token());
  REQUIRE(laptop_stream.Connected());
  REQUIRE(phone_stream.Connected());

  grpc::ClientContext context;
  Authorize(context, phone);
  v1::LogoutOtherSessionsResponse response;
  REQUIRE(cluster.Identity()
              ->LogoutOtherSessions(&context, v1::LogoutOtherSessionsRequest(), &response)
              .ok());

  auto ended = laptop_stream.Ended(10s);
  REQUIRE(ended);
  CHECK(ended->error_code() == grpc::StatusCode::UNAUTHENTICATED);
  CHECK(laptop_stream.Reason() == "SESSION_REVOKED");
  CHECK_FALSE(phone_stream.Ended(500ms));
  // And the laptop's token no longer opens anything.
  v1::GetMyProfileResponse profile;
  CHECK(GetMyProfile(cluster, laptop, &profile).error_code() == grpc::StatusCode::UNAUTHENTICATED);
}

TEST_CASE("a backend killed mid-run answers UNAVAILABLE until it is back", "[e2e][faults]") {
  Cluster cluster;
  Account dave = cluster.SignUp("Dave", "dave-phone");
  auto route_up = [&](const char* value) {
    std::string line = std::string("plaza_gateway_backend_up{route=\"identity\"} ") + value;
    for (int attempt = 0; attempt < 100; ++attempt) {
      if (plaza::testing::HttpGet(cluster.gateway_metrics_port(), "/metrics").find(line) !=
          std::string::npos)
        return true;
      std::this_thread::sleep_for(50ms);
    }
    return false;
  };
  CHECK(route_up("1"));
  cluster.identity().Signal(SIGKILL);
  cluster.identity().Wait(5s);
  v1::GetMyProfileResponse profile;
  CHECK(GetMyProfile(cluster, dave, &profile).error_code() == grpc::StatusCode::UNAVAILABLE);
  CHECK(route_up("0"));  // the gateway's health reflects it
  cluster.StartIdentity();
  bool back = false;
  for (int attempt = 0; attempt < 100 && !back; ++attempt) {
    back = GetMyProfile(cluster, dave, &profile).ok();
    if (!back) std::this_thread::sleep_for(50ms);
  }
  CHECK(back);
  CHECK(route_up("1"));
}

TEST_CASE("with Redis gone, unary calls still work through the gateway", "[e2e][faults]") {
  Cluster cluster;
  Account erin = cluster.SignUp("Erin", "erin-phone");
  cluster.redis().Stop();
  v1::GetMyProfileResponse profile;
  CHECK(GetMyProfile(cluster, erin, &profile).ok());
  cluster.redis().Start();
}

TEST_CASE("a killed gateway's push routes expire, and a new one serves", "[e2e][faults][push]") {
  Cluster cluster({.route_ttl_seconds = 3});
  Account frank = cluster.SignUp("Frank", "frank-phone");
  plaza::redis::Pool redis({.url = cluster.redis_url()});
  {
    PushClient stream(cluster.Connect(), frank.tokens.access_token());
    REQUIRE(stream.Connected());
    auto online = plaza::events::OnlineDevices(redis, {frank.user_id});
    REQUIRE(online.ok());
    CHECK(online->count(frank.user_id) == 1);
    cluster.gateway().Signal(SIGKILL);
    cluster.gateway().Wait(5s);
    CHECK(stream.Ended(5s));
  }
  bool expired = false;
  for (int attempt = 0; attempt < 100 && !expired; ++attempt) {
    auto online = plaza::events::OnlineDevices(redis, {frank.user_id});
    expired = online.ok() && online->empty();
    if (!expired) std::this_thread::sleep_for(100ms);
  }
  CHECK(expired);
  cluster.StartGateway();
  PushClient again(cluster.Connect(), frank.tokens.access_token());
  CHECK(again.Connected());
}

TEST_CASE("SIGTERM closes push streams for reconnection and exits cleanly", "[e2e][push]") {
  Cluster cluster;
  Account grace = cluster.SignUp("Grace", "grace-phone");
  PushClient stream(cluster.Connect(), grace.tokens.access_token());
  REQUIRE(stream.Connected());
  cluster.gateway().Signal(SIGTERM);
  auto ended = stream.Ended(5s);
  REQUIRE(ended);
  CHECK(ended->error_code() == grpc::StatusCode::UNAVAILABLE);
  CHECK(stream.Reason() == "GATEWAY_DRAINING");
  CHECK(cluster.gateway().Wait(10s) == 0);
}

TEST_CASE("plaza-gateway refuses bad settings and names them", "[e2e]") {
  plaza::testing::ChildProcess gateway(
      {PLAZA_GATEWAY_BINARY},
      {"PLAZA_ROUTES=identity=not-a-port", "PLAZA_REDIS_URL=redis://127.0.0.1:1",
       "PLAZA_TOKEN_PUBLIC_KEYS=" + plaza::auth::GenerateKeyPair("k").public_key});
  CHECK(gateway.Wait(10s) == 2);
  CHECK_THAT(gateway.Output(), Catch::Contains("routes") && Catch::Contains("not-a-port"));
}
