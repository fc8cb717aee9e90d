#include <catch2/catch.hpp>

#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>

#include <chrono>
#include <memory>
#include <string>

#include "plaza/testing/testing.h"
#include "tools/healthcheck/health_check.h"

namespace {

using namespace std::chrono_literals;
using plaza::healthcheck::Check;
using plaza::healthcheck::DecodeStatus;
using plaza::healthcheck::EncodeRequest;

// A bare gRPC server with the default health service, on a free loopback port. (gRPC builds no
// server without a service of its own: an empty generic one stands in.)
struct HealthServer {
  grpc::CallbackGenericService nothing;
  std::unique_ptr<grpc::Server> server;
  int port = 0;

  HealthServer() {
    grpc::EnableDefaultHealthCheckService(true);
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterCallbackGenericService(&nothing);
    server = builder.BuildAndStart();
    REQUIRE(server);
    REQUIRE(port > 0);
  }
  ~HealthServer() { server->Shutdown(std::chrono::system_clock::now()); }

  std::string target() const { return "127.0.0.1:" + std::to_string(port); }
  void Set(bool serving) { server->GetHealthCheckService()->SetServingStatus(serving); }
  void Set(const std::string& name, bool serving) {
    server->GetHealthCheckService()->SetServingStatus(name, serving);
  }
};

int RunTool(const std::vector<std::string>& args, std::vector<std::string> env = {}) {
  std::vector<std::string> argv = {PLAZA_HEALTHCHECK_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  plaza::testing::ChildProcess tool(argv, std::move(env));
  return tool.Wait(10s);
}

}  // namespace

TEST_CASE("EncodeRequest writes HealthCheckRequest.service as field 1", "[healthcheck]") {
  CHECK(EncodeRequest("").empty());
  CHECK(EncodeRequest("messaging") == std::string("\x0a\x09messaging"));
  std::string long_name(200, 'x');
  std::string encoded = EncodeRequest(long_name);
  CHECK(encoded.substr(0, 3) == std::string("\x0a\xc8\x01"));
  CHECK(encoded.size() == 3 + 200);
}

TEST_CASE("DecodeStatus reads ServingStatus and refuses malformed bytes", "[healthcheck]") {
  CHECK(DecodeStatus("") == 0);
  CHECK(DecodeStatus(std::string("\x08\x01")) == 1);
  CHECK(DecodeStatus(std::string("\x08\x02")) == 2);
  // Unknown fields are skipped, as any protobuf reader must.
  CHECK(DecodeStatus(std::string("\x12\x02hi\x08\x01")) == 1);
  CHECK_FALSE(DecodeStatus(std::string("\x08")).has_value());
  CHECK_FALSE(DecodeStatus(std::string("\x12\x05hi")).has_value());
  CHECK_FALSE(DecodeStatus(std::string("\xff\xff\xff\xff\xff\xff", 6)).has_value());
}

TEST_CASE("Check follows the server's health status", "[healthcheck]") {
  HealthServer server;
  server.Set(false);
  auto result = Check(server.target(), "", 2s);
  CHECK_FALSE(result.serving);
  CHECK(result.detail == "NOT_SERVING");

  server.Set(true);
  result = Check(server.target(), "", 2s);
  CHECK(result.serving);
  CHECK(result.detail == "SERVING");

  server.Set("messaging", false);
  CHECK(Check(server.target(), "messaging", 2s).detail == "NOT_SERVING");
  server.Set("messaging", true);
  CHECK(Check(server.target(), "messaging", 2s).serving);

  result = Check(server.target(), "no-such-route", 2s);
  CHECK_FALSE(result.serving);
  CHECK(result.detail.starts_with("SERVICE_UNKNOWN"));
}

TEST_CASE("Check gives up at its deadline when nothing listens", "[healthcheck]") {
  auto started = std::chrono::steady_clock::now();
  auto result = Check("127.0.0.1:" + std::to_string(plaza::testing::FreePort()), "", 300ms);
  auto took = std::chrono::steady_clock::now() - started;
  CHECK_FALSE(result.serving);
  CHECK(result.detail.starts_with("unreachable"));
  CHECK(took < 5s);
}

TEST_CASE("plaza-healthcheck exits 0 only when SERVING, and reads PLAZA_GRPC_PORT", "[healthcheck]") {
  HealthServer server;
  std::string port = std::to_string(server.port);
  server.Set(true);
  CHECK(RunTool({"--grpc-port=" + port}) == 0);
  CHECK(RunTool({}, {"PLAZA_GRPC_PORT=" + port}) == 0);
  CHECK(RunTool({"--grpc-port=" + port, "--health-service=nope"}) == 1);
  server.Set(false);
  CHECK(RunTool({"--grpc-port=" + port}) == 1);
  CHECK(RunTool({"--grpc-port=" + std::to_string(plaza::testing::FreePort()),
                 "--health-timeout-ms=200"}) == 1);
  // Without a port anywhere, and with nonsense, it is a usage error.
  CHECK(RunTool({}, {"PLAZA_GRPC_PORT="}) == 2);
  CHECK(RunTool({"--grpc-port=0"}) == 2);
}
