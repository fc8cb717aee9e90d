#pragma once

// What the gateway knows about a method from its name alone: where it goes, whether it needs a
// token, how important it is under overload and which rate-limit group it counts against.
// Nothing here depends on a service's proto, so a new RPC needs no gateway change.

#include <optional>
#include <string>
#include <string_view>

namespace plaza::gateway {

inline constexpr std::string_view kConnectMethod = "/plaza.gateway.v1.PushService/Connect";

struct MethodPolicy {
  std::string route;          // "messaging" for /plaza.messaging.v1.MessagingService/Send
  bool is_public = false;     // callable without an access token
  int business_priority = 0;  // 0 is the most important; see BusinessPriority()
  std::string rate_group;     // "public" for public methods, else the route
};

// The policy for `method` ("/package.Service/Method"), or nullopt if the gateway must not route
// it: not a /plaza.<name>.v<N>.<Service>/<Method> path, or a service named Internal*, which only
// peers inside the cluster may call.
std::optional<MethodPolicy> PolicyFor(std::string_view method);

// The explicit allow-list of methods that need no token: asking for an SMS code, registering,
// logging in and refreshing a session.
bool IsPublicMethod(std::string_view method);

// Lower sheds later. Signing in and paying come first, then chat, then the rest; reads that can
// be retried (search, Moments) go first when the gateway is overloaded.
int BusinessPriority(std::string_view route, std::string_view method_name);

}  // namespace plaza::gateway
