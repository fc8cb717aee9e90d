#include "services/groups/config.h"

#include "plaza/rpc/service_config.h"

namespace plaza::groups {

std::vector<core::ConfigKey> ConfigKeys() {
  using core::ConfigType;
  auto keys = rpc::ServiceConfigKeys(kDefaultGrpcPort);
  keys.push_back({.name = "identity_address",
                  .default_value = "127.0.0.1:7101",
                  .help = "identity's gRPC address (host:port), for friendships and names"});
  keys.push_back({.name = "identity_deadline_ms",
                  .type = ConfigType::kInt,
                  .default_value = "2000",
                  .help = "deadline of calls to identity",
                  .min = 10,
                  .max = 10000});
  keys.push_back({.name = "messaging_address",
                  .default_value = "127.0.0.1:7102",
                  .help = "messaging's gRPC address (host:port), where group conversations live"});
  keys.push_back({.name = "messaging_deadline_ms",
                  .type = ConfigType::kInt,
                  .default_value = "2000",
                  .help = "deadline of calls to messaging",
                  .min = 10,
                  .max = 10000});
  keys.push_back({.name = "invite_signing_key",
                  .help = "HMAC key that signs group invitations: at least 32 random bytes, the "
                          "same on every groups instance (e.g. `openssl rand -base64 48`)",
                  .secret = true});
  keys.push_back({.name = "outbox_interval_ms",
                  .type = ConfigType::kInt,
                  .default_value = "1000",
                  .help = "how often undelivered changes are retried towards messaging",
                  .min = 50,
                  .max = 60000});
  return keys;
}

}  // namespace plaza::groups
