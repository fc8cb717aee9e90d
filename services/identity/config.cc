#include "services/identity/config.h"

#include "plaza/rpc/service_config.h"

namespace plaza::identity {

std::vector<core::ConfigKey> ConfigKeys() {
  using core::ConfigType;
  auto keys = rpc::ServiceConfigKeys(kDefaultGrpcPort);
  keys.push_back({.name = "token_signing_key",
                  .help = "Ed25519 key that signs access tokens, '<kid>:<base64 seed>' (plaza-keygen)",
                  .secret = true});
  keys.push_back({.name = "access_token_ttl_seconds", .type = ConfigType::kInt, .default_value = "900",
                  .help = "lifetime of access tokens", .min = 60, .max = 3600});
  keys.push_back({.name = "dev_mode", .type = ConfigType::kBool, .default_value = "false",
                  .help = "development SMS sender: codes go to the log and identity.dev_sms_outbox"});
  keys.push_back({.name = "password_hash_strength", .default_value = "interactive",
                  .help = "Argon2id cost: interactive, or fast_for_tests (never in production)"});
  return keys;
}

}  // namespace plaza::identity
