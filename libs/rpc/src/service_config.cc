#include "plaza/rpc/service_config.h"

#include <string>

namespace plaza::rpc {

std::vector<core::ConfigKey> ServiceConfigKeys(int default_grpc_port) {
  using core::ConfigType;
  return {
      {.name = "grpc_host", .default_value = "0.0.0.0", .help = "address the gRPC server binds"},
      {.name = "grpc_port",
       .type = ConfigType::kInt,
       .default_value = std::to_string(default_grpc_port),
       .help = "gRPC port",
       .min = 0,
       .max = 65535},
      {.name = "metrics_port",
       .type = ConfigType::kInt,
       .default_value = std::to_string(default_grpc_port + 1000),
       .help = "HTTP port for /metrics and /healthz (-1 disables)",
       .min = -1,
       .max = 65535},
      {.name = "pg_url",
       .help = "PostgreSQL URL, e.g. postgresql://plaza@127.0.0.1:5432/plaza",
       .secret = true},
      {.name = "pg_pool_size",
       .type = ConfigType::kInt,
       .default_value = "16",
       .help = "maximum PostgreSQL connections",
       .min = 1,
       .max = 1000},
      {.name = "redis_url", .help = "Redis URL, e.g. redis://127.0.0.1:6379", .secret = true},
      {.name = "redis_pool_size",
       .type = ConfigType::kInt,
       .default_value = "16",
       .help = "maximum Redis connections",
       .min = 1,
       .max = 1000},
      {.name = "node_id",
       .type = ConfigType::kInt,
       .default_value = "0",
       .help = "this instance's id for time-ordered ids, unique per running instance",
       .min = 0,
       .max = 1023},
      {.name = "log_level", .default_value = "info", .help = "trace|debug|info|warn|error"},
      {.name = "token_public_keys",
       .help =
           "access-token public keys accepted, '<kid>:<base64>,...' (old and new during rotation)"},
      {.name = "trust_client_ip_header",
       .type = ConfigType::kBool,
       .default_value = "false",
       .help = "believe the gateway's x-plaza-client-ip; only where the gateway alone can reach "
               "this service"},
      {.name = "drain_timeout_ms",
       .type = ConfigType::kInt,
       .default_value = "10000",
       .help = "how long SIGTERM waits for in-flight calls",
       .min = 0,
       .max = 600000},
  };
}

ServerOptions ServerOptionsFrom(const core::Config& config, std::string service_name) {
  return {.service_name = std::move(service_name),
          .host = config.String("grpc_host"),
          .grpc_port = static_cast<int>(config.Int("grpc_port")),
          .metrics_port = static_cast<int>(config.Int("metrics_port")),
          .drain_timeout = std::chrono::milliseconds(config.Int("drain_timeout_ms")),
          .trust_client_ip_header = config.Bool("trust_client_ip_header")};
}

}  // namespace plaza::rpc
