#include "services/gateway/method_policy.h"

#include <array>
#include <utility>

namespace plaza::gateway {
namespace {

constexpr std::array<std::string_view, 4> kPublicMethods = {
    "/plaza.identity.v1.IdentityService/RequestCode",
    "/plaza.identity.v1.IdentityService/Register",
    "/plaza.identity.v1.IdentityService/Login",
    "/plaza.identity.v1.IdentityService/RefreshSession",
};

constexpr std::array<std::pair<std::string_view, int>, 9> kRoutePriorities = {{
    {"payments", 1},
    {"identity", 2},
    {"gateway", 2},
    {"messaging", 3},
    {"groups", 3},
    {"media", 4},
    {"official", 5},
    {"miniprogram", 5},
    {"moments", 6},
}};
constexpr int kUnlistedRoutePriority = 4;
constexpr int kSearchPriority = 7;

bool IsLowerIdentifier(std::string_view text) {
  if (text.empty() || text.front() < 'a' || text.front() > 'z') return false;
  for (char c : text) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

bool IsIdentifier(std::string_view text) {
  if (text.empty() || text.size() > 100) return false;
  for (char c : text) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) {
      return false;
    }
  }
  return true;
}

bool IsVersion(std::string_view text) {
  if (text.size() < 2 || text.front() != 'v') return false;
  for (char c : text.substr(1)) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace

bool IsPublicMethod(std::string_view method) {
  for (auto allowed : kPublicMethods) {
    if (method == allowed) return true;
  }
  return false;
}

int BusinessPriority(std::string_view route, std::string_view method_name) {
  if (method_name.starts_with("Search")) return kSearchPriority;
  for (auto [name, priority] : kRoutePriorities) {
    if (route == name) return priority;
  }
  return kUnlistedRoutePriority;
}

std::optional<MethodPolicy> PolicyFor(std::string_view method) {
  // "/plaza.<route>.v<N>.<Service>/<Method>"
  constexpr std::string_view kPrefix = "/plaza.";
  if (method.size() > 256 || !method.starts_with(kPrefix)) return std::nullopt;
  std::string_view rest = method.substr(kPrefix.size());
  size_t slash = rest.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  std::string_view qualified_service = rest.substr(0, slash);
  std::string_view method_name = rest.substr(slash + 1);
  size_t first_dot = qualified_service.find('.');
  size_t last_dot = qualified_service.rfind('.');
  if (first_dot == std::string_view::npos || first_dot == last_dot) return std::nullopt;
  std::string_view route = qualified_service.substr(0, first_dot);
  std::string_view version = qualified_service.substr(first_dot + 1, last_dot - first_dot - 1);
  std::string_view service = qualified_service.substr(last_dot + 1);
  if (!IsLowerIdentifier(route) || !IsVersion(version) || !IsIdentifier(service) ||
      !IsIdentifier(method_name) || service.starts_with("Internal")) {
    return std::nullopt;
  }
  MethodPolicy policy;
  policy.route = std::string(route);
  policy.is_public = IsPublicMethod(method);
  policy.business_priority = policy.is_public ? 0 : BusinessPriority(route, method_name);
  policy.rate_group = policy.is_public ? "public" : policy.route;
  return policy;
}

}  // namespace plaza::gateway
