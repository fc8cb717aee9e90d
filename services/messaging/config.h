#pragma once

// Messaging's configuration: the keys every service reads plus its own.

#include <vector>

#include "plaza/core/config.h"

namespace plaza::messaging {

inline constexpr int kDefaultGrpcPort = 7102;

// ServiceConfigKeys plus identity_address and identity_deadline_ms.
std::vector<core::ConfigKey> ConfigKeys();

}  // namespace plaza::messaging
