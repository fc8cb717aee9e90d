// plaza-gateway: wires configuration, limits, backends, the proxy and the push service into one
// public gRPC server.

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>

#include "plaza/auth/token.h"
#include "plaza/core/config.h"
#include "plaza/core/logging.h"
#include "plaza/events/routes.h"
#include "plaza/events/wire.h"
#include "plaza/redis/subscriber.h"
#include "plaza/rpc/server.h"
#include "services/gateway/admission.h"
#include "services/gateway/backends.h"
#include "services/gateway/config.h"
#include "services/gateway/door.h"
#include "services/gateway/health_monitor.h"
#include "services/gateway/proxy.h"
#include "services/gateway/push_service.h"
#include "services/gateway/queue_delay_probe.h"
#include "services/gateway/rate_limit.h"

namespace {

// Room for this many distinct users and IPs active within a refill period.
constexpr size_t kRateLimitKeys = 1'000'000;

}  // namespace

int main(int argc, char** argv) {
  using namespace plaza;
  rpc::BlockTerminationSignals();
  auto config = core::Config::LoadOrExit(gateway::ConfigKeys(), argc, argv);
  core::InitLogging("gateway", config.String("log_level"));
  spdlog::info("starting with {}", config.Describe());

  const auto& clock = core::SystemClock::Instance();
  auto verifier = rpc::OrExit(auth::Verifier::Create(config.String("token_public_keys"), clock),
                              "token_public_keys");
  auto backend_routes = rpc::OrExit(gateway::ParseRoutes(config.String("routes")), "routes");
  auto rate_limits =
      rpc::OrExit(gateway::ParseRateLimitSpec(config.String("rate_limits")), "rate_limits");
  const int max_message_bytes = static_cast<int>(config.Int("max_message_bytes"));

  redis::Pool redis({.url = config.String("redis_url"),
                     .max_connections = static_cast<int>(config.Int("redis_pool_size"))});
  rpc::SessionRevocations revocations(redis, std::chrono::hours(1));
  gateway::RateLimiter limiter(gateway::RateLimitPolicy(std::move(rate_limits)), clock,
                               kRateLimitKeys);
  gateway::AdmissionControl admission(
      clock,
      {.delay_threshold = std::chrono::milliseconds(config.Int("overload_delay_threshold_ms"))});
  gateway::Backends backends(backend_routes, max_message_bytes);

  rpc::Server server(
      {.service_name = "gateway",
       .host = config.String("grpc_host"),
       .grpc_port = static_cast<int>(config.Int("grpc_port")),
       .metrics_port = static_cast<int>(config.Int("metrics_port")),
       .max_message_bytes = max_message_bytes,
       .drain_timeout = std::chrono::milliseconds(config.Int("drain_timeout_ms")),
       .max_concurrent_streams = static_cast<int>(config.Int("max_concurrent_streams")),
       .metric_method_label = gateway::RouteLabel},
      &verifier, &revocations);
  gateway::Door door(limiter, admission, clock, server.metrics());
  gateway::ProxyService proxy(backends, door,
                              std::chrono::milliseconds(config.Int("call_deadline_cap_ms")));
  server.RegisterGeneric(&proxy);

  std::string instance_id = config.String("instance_id");
  if (instance_id.empty()) instance_id = gateway::DefaultInstanceId();
  auto route_ttl = std::chrono::seconds(config.Int("push_route_ttl_seconds"));
  events::RouteRegistry push_routes(redis, instance_id, route_ttl);
  gateway::PushService push(
      door, push_routes, server.metrics(),
      {.heartbeat_interval = std::chrono::seconds(config.Int("heartbeat_interval_seconds")),
       .refresh_interval = route_ttl / 3,
       .queue_limit = static_cast<size_t>(config.Int("push_queue_limit"))});
  redis::Subscriber subscriber(
      {.url = config.String("redis_url"),
       .channels = {events::InstanceChannel(instance_id)},
       .on_message = [&](std::string_view,
                         std::string_view payload) { push.HandleInstanceMessage(payload); },
       .on_subscribed = [&] { push.HandleSubscribed(); }});
  push.AttachSubscriber(&subscriber);
  server.Register(&push);
  if (auto started = server.Start(); !started.ok()) {
    spdlog::critical("{}", started.ToString());
    return 2;
  }
  server.SetServing(true);
  auto probe = std::make_unique<gateway::QueueDelayProbe>(
      std::chrono::milliseconds(50),
      [&](std::chrono::microseconds delay) { admission.ObserveQueueDelay(delay); });
  auto health = std::make_unique<gateway::HealthMonitor>(backends, server, std::chrono::seconds(1));

  int signal = rpc::WaitForTerminationSignal();
  spdlog::info("signal {} received, shutting down", signal);
  // The monitor writes health into the server, which Shutdown() takes apart.
  health.reset();
  probe.reset();
  push.CloseAll();
  server.Shutdown();
  subscriber.Stop();
  return 0;
}
