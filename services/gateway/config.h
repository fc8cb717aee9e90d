#pragma once

// The gateway's configuration: the keys every service reads (without PostgreSQL) plus routing,
// limits, overload control and push settings.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "plaza/core/config.h"

namespace plaza::gateway {

inline constexpr int kDefaultGrpcPort = 7000;

std::vector<core::ConfigKey> ConfigKeys();

// "<hostname>-<pid>": unique among running gateways, readable in logs and routes.
std::string DefaultInstanceId();

// Parses `routes`: "identity=10.0.0.1:7101,10.0.0.2:7101;messaging=messaging:7102" into route
// name → gRPC target. Several backends must be IP addresses ("ipv4:a:1,b:2"); a single host name
// becomes "dns:///host:port", which balances over every address the name resolves to (a
// Kubernetes headless Service). INVALID_ARGUMENT names the bad entry.
absl::StatusOr<std::map<std::string, std::string>> ParseRoutes(std::string_view text);

}  // namespace plaza::gateway
