#pragma once

// Identity's configuration: the keys every service reads plus its own.

#include <vector>

#include "plaza/core/config.h"

namespace plaza::identity {

inline constexpr int kDefaultGrpcPort = 7101;

// ServiceConfigKeys plus token_signing_key, access_token_ttl_seconds, dev_mode and
// password_hash_strength.
std::vector<core::ConfigKey> ConfigKeys();

}  // namespace plaza::identity
