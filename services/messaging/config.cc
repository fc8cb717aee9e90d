#include "services/messaging/config.h"

#include "plaza/rpc/service_config.h"

namespace plaza::messaging {

std::vector<core::ConfigKey> ConfigKeys() {
  using core::ConfigType;
  auto keys = rpc::ServiceConfigKeys(kDefaultGrpcPort);
  keys.push_back({.name = "identity_address",
                  .default_value = "127.0.0.1:7101",
                  .help = "identity's gRPC address (host:port), for friendship checks"});
  keys.push_back({.name = "identity_deadline_ms",
                  .type = ConfigType::kInt,
                  .default_value = "2000",
                  .help = "deadline of calls to identity",
                  .min = 10,
                  .max = 60000});
  keys.push_back({.name = "groups_address",
                  .default_value = "127.0.0.1:7103",
                  .help = "groups' gRPC address (host:port), for who may speak in a group"});
  keys.push_back({.name = "groups_deadline_ms",
                  .type = ConfigType::kInt,
                  .default_value = "2000",
                  .help = "deadline of calls to groups",
                  .min = 10,
                  .max = 60000});
  return keys;
}

}  // namespace plaza::messaging
