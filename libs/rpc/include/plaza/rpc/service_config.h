#pragma once

// Configuration keys every service reads, so compose, Kubernetes and scripts/cluster set the
// same names everywhere (see README "Configuration").

#include <string_view>
#include <vector>

#include "plaza/core/config.h"
#include "plaza/rpc/server.h"

namespace plaza::rpc {

// grpc_host, grpc_port (default `default_grpc_port`), metrics_port (default grpc port + 1000),
// pg_url, pg_pool_size, redis_url, redis_pool_size, node_id, log_level, token_public_keys,
// trust_client_ip_header, drain_timeout_ms.
std::vector<core::ConfigKey> ServiceConfigKeys(int default_grpc_port);

// The server settings among those keys: host, ports, drain timeout, trust of the client IP header.
ServerOptions ServerOptionsFrom(const core::Config& config, std::string service_name);

}  // namespace plaza::rpc
