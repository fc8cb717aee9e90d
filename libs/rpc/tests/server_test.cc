#include <catch2/catch.hpp>

#include <future>
#include <latch>
#include <thread>

#include <grpcpp/generic/generic_stub.h>

#include "plaza/auth/token.h"
#include "plaza/redis/redis.h"
#include "plaza/rpc/call.h"
#include "plaza/rpc/echo_service.h"
#include "plaza/rpc/server.h"
#include "plaza/testing/testing.h"

using plaza::echo::v1::AuthenticatedEchoRequest;
using plaza::echo::v1::AuthenticatedEchoResponse;
using plaza::echo::v1::EchoRequest;
using plaza::echo::v1::EchoResponse;

namespace {

// grpc.health.v1.Health/Check through a generic stub: 1 = SERVING, 2 = NOT_SERVING.
int HealthStatus(const std::shared_ptr<grpc::Channel>& channel) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  grpc::ByteBuffer request, response;
  grpc::Slice empty;
  request = grpc::ByteBuffer(&empty, 1);
  std::promise<grpc::Status> done;
  stub.UnaryCall(&context, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request, &response,
                 [&](grpc::Status status) { done.set_value(status); });
  REQUIRE(done.get_future().get().ok());
  std::vector<grpc::Slice> slices;
  REQUIRE(response.Dump(&slices).ok());
  std::string bytes;
  for (auto& slice : slices) bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  if (bytes.empty()) return 0;  // UNKNOWN is the proto default, encoded as nothing
  REQUIRE(bytes.size() == 2);
  return bytes[1];
}

std::string TrailingReason(const grpc::ClientContext& context) {
  auto it = context.GetServerTrailingMetadata().find("x-plaza-reason");
  return it == context.GetServerTrailingMetadata().end() ? "" : std::string(it->second.data(), it->second.size());
}

struct Fixture {
  plaza::core::SystemClock clock;
  plaza::auth::KeyPair keys = plaza::auth::GenerateKeyPair("k1");
  plaza::auth::Signer signer = *plaza::auth::Signer::Create(keys.signing_key);
  plaza::auth::Verifier verifier = *plaza::auth::Verifier::Create(keys.public_key, clock);
  plaza::redis::Pool redis{{.url = plaza::testing::TestRedisUrl()}};
  plaza::rpc::SessionRevocations revocations{redis, std::chrono::seconds(60)};
  plaza::rpc::EchoService echo;
  plaza::rpc::Server server{{.service_name = "echo", .host = "127.0.0.1"}, &verifier, &revocations};
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<plaza::echo::v1::EchoService::Stub> stub;

  Fixture() {
    server.Register(&echo);
    REQUIRE(server.Start().ok());
    channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(server.grpc_port()),
                                  grpc::InsecureChannelCredentials());
    stub = plaza::echo::v1::EchoService::NewStub(channel);
  }

  std::string Token(int64_t user_id, int64_t session_id) {
    plaza::auth::Claims claims;
    claims.user_id = user_id;
    claims.session_id = session_id;
    claims.device_id = "test-device";
    claims.issued_at = clock.Now();
    claims.expires_at = clock.Now() + std::chrono::minutes(15);
    return signer.Sign(claims);
  }
};

}  // namespace

TEST_CASE("Health says NOT_SERVING until the service is ready", "[rpc][db]") {
  Fixture f;
  CHECK(HealthStatus(f.channel) == 2);
  CHECK_THAT(plaza::testing::HttpGet(f.server.metrics_port(), "/healthz"), Catch::Contains("503"));
  f.server.SetServing(true);
  CHECK(HealthStatus(f.channel) == 1);
  CHECK_THAT(plaza::testing::HttpGet(f.server.metrics_port(), "/healthz"), Catch::Contains("200 OK"));
}

TEST_CASE("Authenticated calls need a valid, unrevoked access token", "[rpc][db]") {
  Fixture f;
  AuthenticatedEchoRequest request;
  request.set_payload("hi");
  AuthenticatedEchoResponse response;

  {
    grpc::ClientContext context;
    auto status = f.stub->AuthenticatedEcho(&context, request, &response);
    CHECK(status.error_code() == grpc::StatusCode::UNAUTHENTICATED);
    CHECK(TrailingReason(context) == "TOKEN_MISSING");
  }
  {
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + f.Token(42, 7));
    REQUIRE(f.stub->AuthenticatedEcho(&context, request, &response).ok());
    CHECK(response.user_id() == 42);
    CHECK(response.payload() == "hi");
  }
  SECTION("a forged token is refused") {
    std::string token = f.Token(42, 7);
    token[token.size() - 3] = token[token.size() - 3] == 'A' ? 'B' : 'A';
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + token);
    CHECK(f.stub->AuthenticatedEcho(&context, request, &response).error_code() ==
          grpc::StatusCode::UNAUTHENTICATED);
    CHECK(TrailingReason(context) == "TOKEN_BAD_SIGNATURE");
  }
  SECTION("client-sent identity metadata is ignored") {
    grpc::ClientContext context;
    context.AddMetadata("x-plaza-user-id", "1");
    context.AddMetadata("x-plaza-session-id", "1");
    CHECK(f.stub->AuthenticatedEcho(&context, request, &response).error_code() ==
          grpc::StatusCode::UNAUTHENTICATED);
  }
  SECTION("a revoked session's token stops working at once") {
    auto session = static_cast<int64_t>(std::random_device{}()) + 1000;
    REQUIRE(f.revocations.Revoke({session}).ok());
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + f.Token(42, session));
    CHECK(f.stub->AuthenticatedEcho(&context, request, &response).error_code() ==
          grpc::StatusCode::UNAUTHENTICATED);
    CHECK(TrailingReason(context) == "SESSION_REVOKED");
  }
  SECTION("a token from another signing key is refused") {
    auto other = *plaza::auth::Signer::Create(plaza::auth::GenerateKeyPair("k2").signing_key);
    plaza::auth::Claims claims;
    claims.user_id = 42;
    claims.issued_at = f.clock.Now();
    claims.expires_at = f.clock.Now() + std::chrono::minutes(1);
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + other.Sign(claims));
    CHECK(f.stub->AuthenticatedEcho(&context, request, &response).error_code() ==
          grpc::StatusCode::UNAUTHENTICATED);
    CHECK(TrailingReason(context) == "TOKEN_UNKNOWN_KEY");
  }
}

TEST_CASE("Every call gets a request id and is counted in the metrics", "[rpc][db]") {
  Fixture f;
  EchoRequest request;
  EchoResponse response;
  grpc::ClientContext context;
  REQUIRE(f.stub->Echo(&context, request, &response).ok());
  auto id = context.GetServerTrailingMetadata().find("x-plaza-request-id");
  REQUIRE(id != context.GetServerTrailingMetadata().end());
  CHECK(id->second.size() == 16);

  grpc::ClientContext given;
  given.AddMetadata("x-plaza-request-id", "gateway-chosen-id");
  REQUIRE(f.stub->Echo(&given, request, &response).ok());
  CHECK(given.GetServerTrailingMetadata().find("x-plaza-request-id")->second == "gateway-chosen-id");

  auto metrics = plaza::testing::HttpGet(f.server.metrics_port(), "/metrics");
  CHECK_THAT(metrics, Catch::Contains(
                          "plaza_rpc_requests_total{method=\"/plaza.echo.v1.EchoService/Echo\",code=\"OK\"} 2"));
  CHECK_THAT(metrics, Catch::Contains("plaza_rpc_latency_seconds_count"));
}

namespace {

// Echo that signals when a call is inside the handler and holds it there until released.
class HeldEcho final : public plaza::echo::v1::EchoService::Service {
 public:
  grpc::Status Echo(grpc::ServerContext*, const EchoRequest* request, EchoResponse* response) override {
    entered.count_down();
    release.wait();
    response->set_payload(request->payload());
    return grpc::Status::OK;
  }
  std::latch entered{1};
  std::latch release{1};
};

}  // namespace

TEST_CASE("Shutdown lets in-flight calls finish and then refuses new ones", "[rpc][db]") {
  HeldEcho echo;
  plaza::rpc::Server server({.service_name = "echo", .host = "127.0.0.1", .metrics_port = -1},
                            nullptr, nullptr);
  server.Register(&echo);
  REQUIRE(server.Start().ok());
  server.SetServing(true);
  auto stub = plaza::echo::v1::EchoService::NewStub(grpc::CreateChannel(
      "127.0.0.1:" + std::to_string(server.grpc_port()), grpc::InsecureChannelCredentials()));

  auto in_flight = std::async(std::launch::async, [&] {
    EchoRequest request;
    request.set_payload("held");
    EchoResponse response;
    grpc::ClientContext context;
    return stub->Echo(&context, request, &response).ok() && response.payload() == "held";
  });
  echo.entered.wait();
  auto shutdown = std::async(std::launch::async, [&] { server.Shutdown(); });
  // Shutdown must be waiting on the held call, not returning early.
  CHECK(shutdown.wait_for(std::chrono::milliseconds(200)) == std::future_status::timeout);
  echo.release.count_down();
  CHECK(in_flight.get());
  shutdown.get();

  EchoRequest request;
  EchoResponse response;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
  CHECK_FALSE(stub->Echo(&context, request, &response).ok());
}
