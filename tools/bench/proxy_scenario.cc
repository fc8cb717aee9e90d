#include "tools/bench/proxy_scenario.h"

#include <spdlog/fmt/fmt.h>

#include <chrono>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "plaza/core/config.h"
#include "plaza/core/logging.h"
#include "plaza/core/status.h"
#include "plaza/echo/v1/echo_service.grpc.pb.h"
#include "tools/bench/client.h"
#include "tools/bench/load.h"
#include "tools/bench/minted_users.h"
#include "tools/bench/report.h"

namespace plaza::bench {
namespace {

namespace echo_v1 = plaza::echo::v1;
using EchoStub = echo_v1::EchoService::Stub;

constexpr const char* kProxyPayload = "plaza-bench";
// Before the first run each target gets this much unreported load: connections, backend
// channels and caches warm up, and a target that refuses every call stops the bench at once.
constexpr std::chrono::seconds kWarmUp{1};
// The goals the gateway is held to (reported, not enforced).
constexpr double kTargetRatio = 0.60;
constexpr double kTargetAddedP50Ms = 1.0;

std::vector<core::ConfigKey> ProxyConfigKeys() {
  using core::ConfigType;
  return {
      {.name = "identity",
       .default_value = "127.0.0.1:7101",
       .help =
           "gRPC address of identity, which serves plaza.echo.v1.EchoService: the direct target"},
      {.name = "gateway",
       .default_value = "127.0.0.1:7000",
       .help = "gRPC address of the gateway, which routes plaza.echo.v1 to identity"},
      {.name = "token_signing_key",
       .help = "the cluster's access-token signing key '<kid>:<base64 seed>' "
               "(PLAZA_TOKEN_SIGNING_KEY in .plaza/cluster/keys.env), to mint the users' tokens",
       .secret = true},
      {.name = "seconds",
       .type = ConfigType::kInt,
       .default_value = "5",
       .help = "length of each measurement",
       .min = 1,
       .max = 600},
      {.name = "concurrency",
       .type = ConfigType::kInt,
       .default_value = "64",
       .help = "client threads, each with one call in flight",
       .min = 1,
       .max = 1024},
      {.name = "users",
       .type = ConfigType::kInt,
       .default_value = "2000",
       .help = "synthetic users whose tokens the calls take round robin",
       .min = 1,
       .max = 1000000},
      {.name = "channels",
       .type = ConfigType::kInt,
       .default_value = "8",
       .help = "channels (TCP connections) per target, taken round robin",
       .min = 1,
       .max = 256},
      {.name = "runs",
       .type = ConfigType::kInt,
       .default_value = "3",
       .help = "runs, each measuring both targets; the report shows their medians",
       .min = 1,
       .max = 100},
      {.name = "json",
       .type = ConfigType::kBool,
       .default_value = "false",
       .help = "print the report as JSON"},
      {.name = "log_level", .default_value = "warn", .help = "trace|debug|info|warn|error"},
  };
}

// One side of the comparison: its channels and what went wrong there over all runs.
struct Target {
  std::string name;  // "direct" or "gateway"
  std::string address;
  std::vector<std::unique_ptr<EchoStub>> stubs;
  Tally failures;
  std::vector<Summary> runs;
};

class ProxyBench {
 public:
  ProxyBench(const core::Config& config, std::vector<MintedUser> users)
      : concurrency_(static_cast<int>(config.Int("concurrency"))),
        seconds_(config.Int("seconds")),
        channels_(static_cast<int>(config.Int("channels"))),
        users_(std::move(users)) {
    direct_.name = "direct";
    direct_.address = config.String("identity");
    gateway_.name = "gateway";
    gateway_.address = config.String("gateway");
  }

  // Connects every channel and warms both targets up; fails if a target answers no call.
  absl::Status Start() {
    for (Target* target : {&direct_, &gateway_}) {
      for (int i = 0; i < channels_; ++i) {
        PLAZA_ASSIGN_OR_RETURN(auto channel, ConnectOwn(target->address, i));
        target->stubs.push_back(echo_v1::EchoService::NewStub(channel));
      }
    }
    for (Target* target : {&direct_, &gateway_}) {
      Tally ignored;
      LoadOptions options{
          .name = target->name + " warm-up", .concurrency = concurrency_, .duration = kWarmUp};
      auto warm =
          RunClosedLoop(options, [&](int64_t index) { return Call(*target, index, ignored); });
      if (!warm.ok()) {
        return absl::Status(warm.status().code(),
                            fmt::format("{} at {}: {}", target->name, target->address,
                                        std::string(warm.status().message())));
      }
    }
    return absl::OkStatus();
  }

  // Measures both targets, the direct one first in odd runs and the gateway first in even ones.
  absl::Status Run(int64_t run) {
    Target* first = run % 2 == 1 ? &direct_ : &gateway_;
    Target* second = first == &direct_ ? &gateway_ : &direct_;
    for (Target* target : {first, second}) {
      LoadOptions options{.name = target->name,
                          .concurrency = concurrency_,
                          .duration = std::chrono::seconds(seconds_)};
      auto summary = RunClosedLoop(
          options, [&](int64_t index) { return Call(*target, index, target->failures); });
      if (!summary.ok()) {
        return absl::Status(summary.status().code(),
                            fmt::format("{} at {}: {}", target->name, target->address,
                                        std::string(summary.status().message())));
      }
      target->runs.push_back(*summary);
    }
    return absl::OkStatus();
  }

  const Target& direct() const { return direct_; }
  const Target& gateway() const { return gateway_; }

 private:
  absl::Status Call(Target& target, int64_t index, Tally& failures) {
    const MintedUser& user = users_[static_cast<size_t>(index) % users_.size()];
    EchoStub& stub = *target.stubs[static_cast<size_t>(index) % target.stubs.size()];
    grpc::ClientContext context;
    SetCallDeadline(context);
    context.AddMetadata("authorization", user.authorization);
    echo_v1::AuthenticatedEchoRequest request;
    request.set_payload(kProxyPayload);
    echo_v1::AuthenticatedEchoResponse response;
    absl::Status status = FromGrpc(stub.AuthenticatedEcho(&context, request, &response), context);
    // The token's user must have reached the echo service, or the call proved nothing.
    if (status.ok() && response.user_id() != user.user_id) {
      status = Internal("WRONG_CALLER", fmt::format("AuthenticatedEcho saw user {} for user {}",
                                                    response.user_id(), user.user_id));
    }
    if (!status.ok()) failures.Add(FailureKind(status));
    return status;
  }

  const int concurrency_;
  const int64_t seconds_;
  const int channels_;
  const std::vector<MintedUser> users_;
  Target direct_;
  Target gateway_;
};

}  // namespace

int RunProxyScenario(int argc, const char* const* argv) {
  auto config = core::Config::LoadOrExit(ProxyConfigKeys(), argc, argv);
  core::InitLogging("bench", config.String("log_level"));
  auto users =
      MintUsers(config.String("token_signing_key"), static_cast<size_t>(config.Int("users")));
  if (!users.ok()) {
    std::cerr << "plaza-bench proxy: --token-signing-key: " << users.status().message() << "\n";
    return 2;
  }
  ProxyBench bench(config, *std::move(users));
  if (auto started = bench.Start(); !started.ok()) {
    std::cerr << "plaza-bench proxy: " << started.ToString() << "\n";
    return 1;
  }

  const int64_t runs = config.Int("runs");
  for (int64_t run = 1; run <= runs; ++run) {
    if (auto done = bench.Run(run); !done.ok()) {
      std::cerr << "plaza-bench proxy: run " << run << ": " << done.ToString() << "\n";
      return 1;
    }
    const Summary& direct = bench.direct().runs.back();
    const Summary& gateway = bench.gateway().runs.back();
    std::cerr << fmt::format(
        "run {}/{}: direct {:.0f}/s p50 {:.3f} ms, gateway {:.0f}/s p50 {:.3f} ms\n", run, runs,
        direct.per_second, direct.p50_ms, gateway.per_second, gateway.p50_ms);
  }

  Comparison comparison = Compare(bench.direct().runs, bench.gateway().runs);
  Report report{
      .scenario = "proxy",
      .parameters = {{"runs", runs},
                     {"seconds", config.Int("seconds")},
                     {"concurrency", config.Int("concurrency")},
                     {"users", config.Int("users")},
                     {"channels", config.Int("channels")}},
      .operations = {{"direct", MedianOfRuns(bench.direct().runs)},
                     {"gateway", MedianOfRuns(bench.gateway().runs)}},
      .ratios = {{"gateway/direct", comparison.rate_ratio}},
      .figures = {{"gateway_added_p50_ms", comparison.added_p50_ms}},
  };
  for (const Target* target : {&bench.direct(), &bench.gateway()}) {
    for (const auto& [kind, count] : target->failures.Sorted()) {
      report.counts.emplace_back(target->name + " " + kind, count);
    }
  }
  report.notes.push_back(fmt::format("target gateway/direct >= {:.2f}: {}", kTargetRatio,
                                     comparison.rate_ratio >= kTargetRatio ? "met" : "missed"));
  report.notes.push_back(
      fmt::format("target gateway_added_p50_ms <= {:.1f}: {}", kTargetAddedP50Ms,
                  comparison.added_p50_ms <= kTargetAddedP50Ms ? "met" : "missed"));
  std::cout << (config.Bool("json") ? RenderJson(report) : RenderTable(report));
  return 0;
}

}  // namespace plaza::bench
