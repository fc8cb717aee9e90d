#pragma once

// Groups' configuration: the keys every service reads plus its own.

#include <vector>

#include "plaza/core/config.h"

namespace plaza::groups {

inline constexpr int kDefaultGrpcPort = 7103;

// ServiceConfigKeys plus identity_address, identity_deadline_ms, messaging_address,
// messaging_deadline_ms, invite_signing_key and outbox_interval_ms.
std::vector<core::ConfigKey> ConfigKeys();

}  // namespace plaza::groups
