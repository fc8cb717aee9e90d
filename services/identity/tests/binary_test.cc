// The real plaza-identity binary: configuration errors, readiness, serving, graceful shutdown.

#include <catch2/catch.hpp>

#include <csignal>
#include <random>
#include <thread>

#include <grpcpp/grpcpp.h>

#include "plaza/auth/token.h"
#include "plaza/identity/v1/identity_service.grpc.pb.h"
#include "plaza/testing/testing.h"

namespace v1 = plaza::identity::v1;
using plaza::testing::ChildProcess;

namespace {

struct Ports {
  int grpc = plaza::testing::FreePort();
  int metrics = plaza::testing::FreePort();
};

std::vector<std::string> Environment(const plaza::testing::TestDatabase& db, const Ports& ports,
                                     const std::string& redis_url = plaza::testing::TestRedisUrl()) {
  auto keys = plaza::auth::GenerateKeyPair("binary-test");
  return {"PLAZA_GRPC_HOST=127.0.0.1",
          "PLAZA_GRPC_PORT=" + std::to_string(ports.grpc),
          "PLAZA_METRICS_PORT=" + std::to_string(ports.metrics),
          "PLAZA_PG_URL=" + db.url(),
          "PLAZA_REDIS_URL=" + redis_url,
          "PLAZA_TOKEN_SIGNING_KEY=" + keys.signing_key,
          "PLAZA_TOKEN_PUBLIC_KEYS=" + keys.public_key,
          "PLAZA_NODE_ID=" + std::to_string(std::random_device{}() % 1024),
          "PLAZA_DEV_MODE=true",
          "PLAZA_PASSWORD_HASH_STRENGTH=fast_for_tests",
          "PLAZA_DRAIN_TIMEOUT_MS=2000",
          "PLAZA_TRUST_CLIENT_IP_HEADER=true"};
}

bool WaitHealthy(ChildProcess& identity, int metrics_port) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline && identity.running()) {
    if (plaza::testing::HttpGet(metrics_port, "/healthz").find("200 OK") != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

}  // namespace

TEST_CASE("plaza-identity refuses to start with a bad setting and names it", "[identity][binary][db]") {
  plaza::testing::TestDatabase db;
  auto env = Environment(db, Ports());
  env.push_back("PLAZA_GRPC_PORT=seventy");
  ChildProcess identity({PLAZA_IDENTITY_BINARY}, env);
  CHECK(identity.Wait(std::chrono::seconds(10)) == 2);
  CHECK_THAT(identity.Output(), Catch::Contains("PLAZA_GRPC_PORT") && Catch::Contains("seventy"));

  auto broken_key = Environment(db, Ports());
  broken_key.push_back("PLAZA_TOKEN_SIGNING_KEY=k1:not-a-key");
  ChildProcess with_bad_key({PLAZA_IDENTITY_BINARY}, broken_key);
  CHECK(with_bad_key.Wait(std::chrono::seconds(10)) == 2);
  CHECK_THAT(with_bad_key.Output(), Catch::Contains("token_signing_key") && !Catch::Contains("not-a-key"));
}

TEST_CASE("plaza-identity migrates, serves, and drains on SIGTERM", "[identity][binary][db]") {
  plaza::testing::TestDatabase db;
  Ports ports;
  ChildProcess identity({PLAZA_IDENTITY_BINARY}, Environment(db, ports));
  REQUIRE(WaitHealthy(identity, ports.metrics));

  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(ports.grpc),
                                     grpc::InsecureChannelCredentials());
  auto stub = v1::IdentityService::NewStub(channel);
  v1::RequestCodeRequest request;
  request.set_phone("+86138" + std::to_string(10000000 + std::random_device{}() % 89999999));
  v1::RequestCodeResponse response;
  grpc::ClientContext context;
  context.AddMetadata("x-plaza-client-ip", "10.9.8.7");
  auto status = stub->RequestCode(&context, request, &response);
  INFO(status.error_message());
  CHECK(status.ok());
  CHECK(response.expires_in_seconds() == 300);
  CHECK_THAT(plaza::testing::HttpGet(ports.metrics, "/metrics"),
             Catch::Contains("plaza_rpc_requests_total{method=\"/plaza.identity.v1.IdentityService/RequestCode\",code=\"OK\"} 1"));
  // The log names the request but never the code itself... except in dev mode, where the
  // development SMS sender is the log.
  CHECK_THAT(identity.Output(), Catch::Contains("method=/plaza.identity.v1.IdentityService/RequestCode code=OK"));

  identity.Signal(SIGTERM);
  CHECK(identity.Wait(std::chrono::seconds(10)) == 0);
  CHECK_THAT(identity.Output(), Catch::Contains("stopped"));
}

TEST_CASE("plaza-identity reports NOT_SERVING until Redis is reachable", "[identity][binary][db]") {
  plaza::testing::TestDatabase db;
  plaza::testing::RedisServer redis;
  redis.Stop();
  Ports ports;
  ChildProcess identity({PLAZA_IDENTITY_BINARY}, Environment(db, ports, redis.Url()));
  REQUIRE(plaza::testing::WaitForPort(ports.metrics, std::chrono::seconds(10)));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // several readiness attempts
  CHECK_THAT(plaza::testing::HttpGet(ports.metrics, "/healthz"), Catch::Contains("503"));
  redis.Start();
  CHECK(WaitHealthy(identity, ports.metrics));
  identity.Signal(SIGTERM);
  CHECK(identity.Wait(std::chrono::seconds(10)) == 0);
}
