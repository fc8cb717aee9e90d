#include "services/gateway/config.h"

#include <arpa/inet.h>
#include <unistd.h>

#include <algorithm>

#include "absl/strings/str_join.h"
#include "plaza/core/status.h"
#include "plaza/core/text.h"
#include "plaza/rpc/service_config.h"

namespace plaza::gateway {
namespace {

enum class HostKind { kIpv4, kIpv6, kName };

struct Backend {
  HostKind kind;
  std::string address;  // as gRPC wants it in a target: "1.2.3.4:7101", "[::1]:7101"
};

absl::StatusOr<Backend> ParseBackend(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return InvalidArgument("ROUTES_INVALID",
                           "routes: backend '" + std::string(text) + "' " + std::string(why));
  };
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return bad("needs host:port");
  std::string host(text.substr(0, colon));
  std::string_view port = text.substr(colon + 1);
  if (port.empty() || port.size() > 5 || !std::all_of(port.begin(), port.end(), ::isdigit) ||
      std::stoi(std::string(port)) == 0 || std::stoi(std::string(port)) > 65535) {
    return bad("has no valid port");
  }
  unsigned char buffer[16];
  if (inet_pton(AF_INET, host.c_str(), buffer) == 1)
    return Backend{HostKind::kIpv4, std::string(text)};
  if (host.size() > 2 && host.front() == '[' && host.back() == ']' &&
      inet_pton(AF_INET6, host.substr(1, host.size() - 2).c_str(), buffer) == 1) {
    return Backend{HostKind::kIpv6, std::string(text)};
  }
  bool name_ok =
      !host.empty() && host.size() <= 253 && std::all_of(host.begin(), host.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.';
      });
  if (!name_ok) return bad("has an invalid host");
  return Backend{HostKind::kName, std::string(text)};
}

absl::StatusOr<std::string> TargetFor(std::string_view route, std::string_view list) {
  std::vector<Backend> backends;
  for (std::string_view item : core::SplitAny(list, ", ")) {
    PLAZA_ASSIGN_OR_RETURN(auto backend, ParseBackend(item));
    backends.push_back(std::move(backend));
  }
  if (backends.empty()) {
    return InvalidArgument("ROUTES_INVALID", "routes: '" + std::string(route) + "' has no backend");
  }
  if (backends.size() == 1 && backends[0].kind == HostKind::kName)
    return "dns:///" + backends[0].address;
  HostKind kind = backends[0].kind;
  std::vector<std::string> addresses;
  for (const auto& backend : backends) {
    if (backend.kind != kind || kind == HostKind::kName) {
      return InvalidArgument("ROUTES_INVALID",
                             "routes: '" + std::string(route) +
                                 "' lists several backends: use IP addresses of one family, or one "
                                 "DNS name that resolves to all of them");
    }
    addresses.push_back(backend.address);
  }
  return std::string(kind == HostKind::kIpv4 ? "ipv4:" : "ipv6:") + absl::StrJoin(addresses, ",");
}

}  // namespace

absl::StatusOr<std::map<std::string, std::string>> ParseRoutes(std::string_view text) {
  std::map<std::string, std::string> routes;
  for (std::string_view entry : core::SplitAny(text, "; \n\t")) {
    size_t equals = entry.find('=');
    std::string route(entry.substr(0, equals));
    bool name_ok = !route.empty() && route.size() <= 40 && route.front() >= 'a' &&
                   route.front() <= 'z' && std::all_of(route.begin(), route.end(), [](char c) {
                     return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
                   });
    if (equals == std::string_view::npos || !name_ok) {
      return InvalidArgument("ROUTES_INVALID", "routes: '" + std::string(entry) +
                                                   "' is not <service>=<host:port>[,...]");
    }
    if (route == "gateway") {
      return InvalidArgument("ROUTES_INVALID", "routes: 'gateway' is served by the gateway itself");
    }
    PLAZA_ASSIGN_OR_RETURN(auto target, TargetFor(route, entry.substr(equals + 1)));
    if (!routes.emplace(route, std::move(target)).second) {
      return InvalidArgument("ROUTES_INVALID", "routes: '" + route + "' is listed twice");
    }
  }
  if (routes.empty()) return InvalidArgument("ROUTES_INVALID", "routes: no route is configured");
  return routes;
}

std::string DefaultInstanceId() {
  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  std::string name;
  for (char c : std::string_view(host)) {
    name += std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' ? c : '-';
  }
  if (name.empty()) name = "gateway";
  return name.substr(0, 64) + "-" + std::to_string(getpid());
}

std::vector<core::ConfigKey> ConfigKeys() {
  using core::ConfigType;
  auto keys = rpc::ServiceConfigKeys(kDefaultGrpcPort);
  // The gateway keeps no tables, and it is the one that sets the client-IP header.
  std::erase_if(keys, [](const core::ConfigKey& key) {
    return key.name == "pg_url" || key.name == "pg_pool_size" ||
           key.name == "trust_client_ip_header";
  });
  std::vector<core::ConfigKey> own = {
      {.name = "routes",
       .help = "backends per service: 'identity=host:port[,host:port];messaging=...'; "
               "/plaza.<service>.v1.* goes to <service>"},
      {.name = "instance_id",
       .default_value = "",
       .help = "this gateway's name in push routes; empty picks <hostname>-<pid>"},
      {.name = "call_deadline_cap_ms",
       .type = ConfigType::kInt,
       .default_value = "30000",
       .help = "deadline given to proxied calls without one, and the most any call gets",
       .min = 100,
       .max = 3'600'000},
      {.name = "max_message_bytes",
       .type = ConfigType::kInt,
       .default_value = std::to_string(4 << 20),
       .help = "largest request or response message",
       .min = 1024,
       .max = 64 << 20},
      {.name = "max_concurrent_streams",
       .type = ConfigType::kInt,
       .default_value = "100",
       .help = "concurrent calls per client connection",
       .min = 1,
       .max = 100000},
      {.name = "rate_limits",
       .default_value =
           "public:ip=5/20 gateway:user=2/10,ip=200/400 default:user=50/200,ip=5000/10000",
       .help = "token buckets per method group, '<group>:user=<per second>/<burst>,ip=<per "
               "second>/<burst> ...'; groups are 'public', 'gateway' (Connect), a route name, or "
               "'default'"},
      {.name = "overload_delay_threshold_ms",
       .type = ConfigType::kInt,
       .default_value = "20",
       .help = "queueing delay above which low-priority calls are shed",
       .min = 1,
       .max = 10000},
      {.name = "push_route_ttl_seconds",
       .type = ConfigType::kInt,
       .default_value = "90",
       .help = "how long a device's push route outlives its last refresh",
       .min = 3,
       .max = 3600},
      {.name = "heartbeat_interval_seconds",
       .type = ConfigType::kInt,
       .default_value = "30",
       .help = "quiet time after which a Connect stream gets a heartbeat",
       .min = 1,
       .max = 600},
      {.name = "push_queue_limit",
       .type = ConfigType::kInt,
       .default_value = "256",
       .help = "events waiting for one slow device before its stream is closed with a resync",
       .min = 1,
       .max = 100000},
  };
  keys.insert(keys.end(), own.begin(), own.end());
  return keys;
}

}  // namespace plaza::gateway
