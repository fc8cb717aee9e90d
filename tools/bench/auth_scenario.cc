#include "tools/bench/auth_scenario.h"

#include <spdlog/fmt/fmt.h>

#include <chrono>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "plaza/auth/token.h"
#include "plaza/core/clock.h"
#include "plaza/core/config.h"
#include "plaza/core/logging.h"
#include "plaza/core/status.h"
#include "plaza/echo/v1/echo_service.grpc.pb.h"
#include "plaza/pg/pool.h"
#include "plaza/redis/redis.h"
#include "plaza/rpc/echo_service.h"
#include "plaza/rpc/revocation.h"
#include "plaza/rpc/server.h"
#include "tools/bench/client.h"
#include "tools/bench/echo_baseline.h"
#include "tools/bench/load.h"
#include "tools/bench/report.h"
#include "tools/bench/synthetic_users.h"

namespace plaza::bench {
namespace {

namespace echo_v1 = plaza::echo::v1;
using EchoStub = echo_v1::EchoService::Stub;

// Only Revoke() uses it, and only identity revokes; the value is what identity would use.
constexpr std::chrono::minutes kRememberRevocations{16};

std::vector<core::ConfigKey> ConfigKeys() {
  using core::ConfigType;
  return {
      {.name = "identity",
       .default_value = "127.0.0.1:7101",
       .help = "gRPC address of the identity service (dev_mode) that logs the users in"},
      {.name = "pg_url",
       .default_value = "postgresql://postgres@127.0.0.1:7432/plaza",
       .help = "identity's PostgreSQL, to read login codes from identity.dev_sms_outbox",
       .secret = true},
      {.name = "redis_url",
       .default_value = "redis://127.0.0.1:7379",
       .help = "the cluster's Redis, for the session revocation checks",
       .secret = true},
      {.name = "token_public_keys",
       .help = "the cluster's access-token public keys, '<kid>:<base64>,...'"},
      {.name = "seconds",
       .type = ConfigType::kInt,
       .default_value = "5",
       .help = "length of each measurement (login ends earlier when --users are in)",
       .min = 1,
       .max = 600},
      {.name = "concurrency",
       .type = ConfigType::kInt,
       .default_value = "8",
       .help = "client threads, each with one call in flight",
       .min = 1,
       .max = 256},
      {.name = "users",
       .type = ConfigType::kInt,
       .default_value = "50",
       .help = "new users signed up per run",
       .min = 1,
       .max = 100000},
      {.name = "runs",
       .type = ConfigType::kInt,
       .default_value = "3",
       .help = "runs; the report shows their medians",
       .min = 1,
       .max = 100},
      {.name = "json",
       .type = ConfigType::kBool,
       .default_value = "false",
       .help = "print the report as JSON"},
      {.name = "log_level",
       .default_value = "warn",
       .help = "trace|debug|info|warn|error; info logs every call of the in-process servers"},
  };
}

struct RunResult {
  Summary echo;
  Summary login;
  Summary authenticated_echo;
};

// Everything a run needs, set up once.
class AuthBench {
 public:
  AuthBench(const core::Config& config, const auth::Verifier& verifier)
      : concurrency_(static_cast<int>(config.Int("concurrency"))),
        seconds_(config.Int("seconds")),
        users_per_run_(config.Int("users")),
        identity_address_(config.String("identity")),
        redis_({.url = config.String("redis_url"), .max_connections = concurrency_}),
        pg_({.url = config.String("pg_url"), .max_connections = concurrency_}),
        revocations_(redis_, kRememberRevocations),
        guarded_server_(InProcessServerOptions("bench-echo-auth"), &verifier, &revocations_) {}

  // Checks that Redis, PostgreSQL and identity answer and starts the two echo servers.
  absl::Status Start() {
    // Without Redis the auth interceptor skips the revocation check, which would flatter the
    // authenticated rate: refuse to measure that.
    if (auto ping = redis_.Ping(); !ping.ok()) {
      return Unavailable("REDIS_UNREACHABLE",
                         "Redis at --redis-url: " + std::string(ping.message()));
    }
    if (auto ping = pg_.Ping(); !ping.ok()) {
      return Unavailable("PG_UNREACHABLE",
                         "PostgreSQL at --pg-url: " + std::string(ping.message()));
    }
    PLAZA_RETURN_IF_ERROR(bare_.Start());
    guarded_server_.Register(&guarded_echo_);
    PLAZA_RETURN_IF_ERROR(guarded_server_.Start());
    PLAZA_ASSIGN_OR_RETURN(auto guarded, Connect(Loopback(guarded_server_.grpc_port())));
    PLAZA_ASSIGN_OR_RETURN(auto identity, Connect(identity_address_));
    guarded_stub_ = echo_v1::EchoService::NewStub(guarded);
    users_ = std::make_unique<SyntheticUsers>(identity, pg_);
    return absl::OkStatus();
  }

  absl::StatusOr<RunResult> Run() {
    RunResult result;
    PLAZA_ASSIGN_OR_RETURN(result.echo, bare_.Measure(Options("echo")));

    std::vector<SyntheticUser> users(static_cast<size_t>(users_per_run_));
    auto sign_up = [&](int64_t index) -> absl::Status {
      PLAZA_ASSIGN_OR_RETURN(users[static_cast<size_t>(index)], users_->SignUp());
      return absl::OkStatus();
    };
    LoadOptions login = Options("login");
    login.max_operations = users_per_run_;
    PLAZA_ASSIGN_OR_RETURN(result.login, RunClosedLoop(login, sign_up));

    std::erase_if(users, [](const SyntheticUser& user) { return user.access_token.empty(); });
    auto authenticated_echo = [&](int64_t index) {
      return AuthenticatedEcho(users[static_cast<size_t>(index) % users.size()]);
    };
    PLAZA_ASSIGN_OR_RETURN(result.authenticated_echo,
                           RunClosedLoop(Options("authenticated_echo"), authenticated_echo));
    double unchecked = guarded_server_.metrics().Value("plaza_auth_revocation_unchecked_total", "");
    if (unchecked > 0) {
      return Unavailable("REVOCATION_UNCHECKED",
                         fmt::format("{} authenticated calls skipped the revocation check (Redis "
                                     "failed them), so their rate would be too high",
                                     unchecked));
    }
    return result;
  }

 private:
  static std::string Loopback(int port) { return "127.0.0.1:" + std::to_string(port); }

  LoadOptions Options(std::string name) const {
    return {.name = std::move(name),
            .concurrency = concurrency_,
            .duration = std::chrono::seconds(seconds_)};
  }

  absl::Status AuthenticatedEcho(const SyntheticUser& user) {
    grpc::ClientContext context;
    SetCallDeadline(context);
    context.AddMetadata("authorization", "Bearer " + user.access_token);
    echo_v1::AuthenticatedEchoRequest request;
    request.set_payload(EchoBaseline::kPayload);
    echo_v1::AuthenticatedEchoResponse response;
    PLAZA_RETURN_IF_ERROR(
        FromGrpc(guarded_stub_->AuthenticatedEcho(&context, request, &response), context));
    // The auth stack must have identified the token's user, or the call proved nothing.
    if (response.user_id() != user.user_id) {
      return Internal("WRONG_CALLER", fmt::format("AuthenticatedEcho saw user {} for user {}",
                                                  response.user_id(), user.user_id));
    }
    return absl::OkStatus();
  }

  const int concurrency_;
  const int64_t seconds_;
  const int64_t users_per_run_;
  const std::string identity_address_;
  redis::Pool redis_;
  pg::Pool pg_;
  rpc::SessionRevocations revocations_;
  EchoBaseline bare_;
  rpc::EchoService guarded_echo_;
  rpc::Server guarded_server_;
  std::unique_ptr<EchoStub> guarded_stub_;
  std::unique_ptr<SyntheticUsers> users_;
};

}  // namespace

int RunAuthScenario(int argc, const char* const* argv) {
  auto config = core::Config::LoadOrExit(ConfigKeys(), argc, argv);
  core::InitLogging("bench", config.String("log_level"));
  auto verifier =
      auth::Verifier::Create(config.String("token_public_keys"), core::SystemClock::Instance());
  if (!verifier.ok()) {
    std::cerr << "plaza-bench auth: --token-public-keys: " << verifier.status().message() << "\n";
    return 2;
  }
  AuthBench bench(config, *verifier);
  if (auto started = bench.Start(); !started.ok()) {
    std::cerr << "plaza-bench auth: " << started.ToString() << "\n";
    return 1;
  }

  const int64_t runs = config.Int("runs");
  std::vector<Summary> echo, login, authenticated_echo;
  std::vector<double> ratios;
  for (int64_t run = 1; run <= runs; ++run) {
    auto result = bench.Run();
    if (!result.ok()) {
      std::cerr << "plaza-bench auth: run " << run << ": " << result.status().ToString() << "\n";
      return 1;
    }
    echo.push_back(result->echo);
    login.push_back(result->login);
    authenticated_echo.push_back(result->authenticated_echo);
    // Paired per run, so a machine that is busier during one run skews the ratio less.
    ratios.push_back(result->authenticated_echo.per_second / result->echo.per_second);
    std::cerr << fmt::format(
        "run {}/{}: echo {:.0f}/s, login {:.1f}/s, authenticated_echo {:.0f}/s\n", run, runs,
        result->echo.per_second, result->login.per_second, result->authenticated_echo.per_second);
  }

  Report report{
      .scenario = "auth",
      .parameters = {{"runs", runs},
                     {"seconds", config.Int("seconds")},
                     {"concurrency", config.Int("concurrency")},
                     {"users", config.Int("users")}},
      .operations = {{"echo", MedianOfRuns(echo)},
                     {"authenticated_echo", MedianOfRuns(authenticated_echo)},
                     {"login", MedianOfRuns(login)}},
      .ratios = {{"authenticated_echo/echo", Median(ratios)}},
  };
  std::cout << (config.Bool("json") ? RenderJson(report) : RenderTable(report));
  return 0;
}

}  // namespace plaza::bench
