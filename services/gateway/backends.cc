#include "services/gateway/backends.h"

namespace plaza::gateway {
namespace {

// healthCheckConfig makes the channel watch grpc.health.v1 on each backend ("" = the whole
// server) and route only to SERVING ones.
constexpr char kServiceConfig[] =
    R"({"loadBalancingConfig":[{"round_robin":{}}],"healthCheckConfig":{"serviceName":""}})";

}  // namespace

Backends::Backends(const std::map<std::string, std::string>& routes, int max_message_bytes) {
  for (const auto& [name, target] : routes) {
    grpc::ChannelArguments args;
    args.SetServiceConfigJSON(kServiceConfig);
    args.SetMaxReceiveMessageSize(max_message_bytes);
    args.SetMaxSendMessageSize(max_message_bytes);
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
    args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
    args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 20'000);
    args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10'000);
    auto channel = grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
    auto stub = std::make_unique<grpc::GenericStub>(channel);
    routes_.emplace(name, Route{std::move(channel), std::move(stub)});
  }
}

grpc::GenericStub* Backends::Find(std::string_view route) {
  auto it = routes_.find(route);
  return it == routes_.end() ? nullptr : it->second.stub.get();
}

std::map<std::string, bool> Backends::Health() {
  std::map<std::string, bool> health;
  for (auto& [name, route] : routes_) {
    health[name] = route.channel->GetState(/*try_to_connect=*/true) == GRPC_CHANNEL_READY;
  }
  return health;
}

}  // namespace plaza::gateway
