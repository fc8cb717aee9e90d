// plaza-healthcheck: asks a Plaza server on this machine whether it is SERVING, through
// grpc.health.v1.Health/Check. Made for container health checks (docker-compose, the image's
// HEALTHCHECK); Kubernetes uses its native gRPC probes instead.
//
//   plaza-healthcheck                       port from PLAZA_GRPC_PORT, as the service reads it
//   plaza-healthcheck --grpc-port=7101 --health-service=messaging
//
// Exit status: 0 SERVING; 1 anything else (NOT_SERVING, unknown service, no answer in time);
// 2 bad usage.

#include <iostream>

#include "plaza/core/config.h"
#include "tools/healthcheck/health_check.h"

int main(int argc, char** argv) {
  using namespace plaza;
  std::vector<core::ConfigKey> keys = {
      {.name = "grpc_port",
       .type = core::ConfigType::kInt,
       .help = "port of the server to check; the service's own PLAZA_GRPC_PORT by default",
       .min = 1,
       .max = 65535},
      {.name = "health_host", .default_value = "127.0.0.1", .help = "host of the server to check"},
      {.name = "health_service",
       .default_value = "",
       .help = "grpc.health.v1 service name; empty checks the whole server"},
      {.name = "health_timeout_ms",
       .type = core::ConfigType::kInt,
       .default_value = "2000",
       .help = "deadline of the check, connecting included",
       .min = 1,
       .max = 60000},
  };
  auto config = core::Config::LoadOrExit(keys, argc, argv);
  std::string target =
      config.String("health_host") + ":" + std::to_string(config.Int("grpc_port"));
  auto result = healthcheck::Check(target, config.String("health_service"),
                                   std::chrono::milliseconds(config.Int("health_timeout_ms")));
  (result.serving ? std::cout : std::cerr) << target << " " << result.detail << "\n";
  return result.serving ? 0 : 1;
}
