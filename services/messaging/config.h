#pragma once

// Messaging's configuration: the keys every service reads plus its own.

#include <vector>

#include "plaza/core/config.h"

namespace plaza::messaging {

inline constexpr int kDefaultGrpcPort = 7102;

// ServiceConfigKeys plus the address and call deadline of identity and of groups.
std::vector<core::ConfigKey> ConfigKeys();

}  // namespace plaza::messaging
