#include "plaza/events/routes.h"

#include <algorithm>
#include <charconv>
#include <stdexcept>
#include <unordered_set>
#include <utility>

#include "plaza/core/status.h"
#include "plaza/events/wire.h"
#include "scripts.h"

namespace plaza::events {
namespace {

// A connection id as a script returns it (the decimal string it was given).
absl::StatusOr<uint64_t> ConnectionIdOf(const redis::Reply& reply) {
  const std::string& text = reply.str();
  uint64_t id = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) {
    return Internal("ROUTE_INVALID", "a route in Redis has a malformed connection id");
  }
  return id;
}

absl::Status TooManyUsers() {
  return InvalidArgument("TOO_MANY_USERS",
                         "at most " + std::to_string(kMaxUsersPerCall) + " users per call");
}

}  // namespace

RouteRegistry::RouteRegistry(redis::Pool& redis, std::string instance_id,
                             std::chrono::milliseconds ttl)
    : redis_(redis), instance_id_(std::move(instance_id)), ttl_(ttl) {
  if (!ValidInstanceId(instance_id_)) {
    throw std::invalid_argument(
        "route registry: the instance id must be 1-128 printable ASCII characters, no space");
  }
  if (ttl_.count() <= 0) throw std::invalid_argument("route registry: the ttl must be positive");
}

absl::StatusOr<std::optional<DeviceRoute>> RouteRegistry::Claim(int64_t user_id,
                                                                std::string_view device_id,
                                                                uint64_t connection_id) {
  PLAZA_RETURN_IF_ERROR(CheckUserId(user_id));
  PLAZA_RETURN_IF_ERROR(CheckDeviceId(device_id));
  const std::string user = std::to_string(user_id);
  PLAZA_ASSIGN_OR_RETURN(
      redis::Reply reply,
      redis_.Eval(scripts::Claim(), {RouteKey(user_id)},
                  {user, std::string(device_id), instance_id_, std::to_string(connection_id),
                   std::to_string(ttl_.count())}));
  if (reply.is_nil()) return std::nullopt;
  const auto& holder = reply.elements();
  PLAZA_ASSIGN_OR_RETURN(uint64_t previous_connection, ConnectionIdOf(holder.at(1)));
  return DeviceRoute{user_id, std::string(device_id), holder.at(0).str(), previous_connection};
}

absl::StatusOr<std::vector<DeviceRoute>> RouteRegistry::Refresh(
    const std::vector<DeviceRoute>& routes) {
  for (const DeviceRoute& route : routes) {
    PLAZA_RETURN_IF_ERROR(CheckUserId(route.user_id));
    PLAZA_RETURN_IF_ERROR(CheckDeviceId(route.device_id));
    if (route.instance_id != instance_id_) {
      return InvalidArgument("INSTANCE_ID_MISMATCH",
                             "a registry refreshes only its own instance's routes");
    }
  }
  std::vector<DeviceRoute> lost;
  for (size_t start = 0; start < routes.size(); start += kRefreshBatch) {
    const size_t end = std::min(routes.size(), start + kRefreshBatch);
    std::vector<std::string> keys;
    std::vector<std::string> args = {instance_id_, std::to_string(ttl_.count())};
    keys.reserve(end - start);
    args.reserve(2 + 2 * (end - start));
    for (size_t i = start; i < end; ++i) {
      keys.push_back(RouteKey(routes[i].user_id));
      args.push_back(routes[i].device_id);
      args.push_back(std::to_string(routes[i].connection_id));
    }
    PLAZA_ASSIGN_OR_RETURN(redis::Reply reply, redis_.Eval(scripts::Refresh(), keys, args));
    for (const redis::Reply& position : reply.elements()) {
      lost.push_back(routes.at(start + static_cast<size_t>(position.integer()) - 1));
    }
  }
  return lost;
}

absl::Status RouteRegistry::Release(int64_t user_id, std::string_view device_id,
                                    uint64_t connection_id) {
  PLAZA_RETURN_IF_ERROR(CheckUserId(user_id));
  PLAZA_RETURN_IF_ERROR(CheckDeviceId(device_id));
  return redis_
      .Eval(scripts::Release(), {RouteKey(user_id)},
            {std::string(device_id), instance_id_, std::to_string(connection_id)})
      .status();
}

absl::StatusOr<std::map<int64_t, std::vector<DeviceRoute>>> OnlineDevices(
    redis::Pool& redis, const std::vector<int64_t>& user_ids) {
  if (user_ids.size() > kMaxUsersPerCall) return TooManyUsers();
  std::vector<int64_t> users;
  std::unordered_set<int64_t> seen;
  for (int64_t user_id : user_ids) {
    PLAZA_RETURN_IF_ERROR(CheckUserId(user_id));
    if (seen.insert(user_id).second) users.push_back(user_id);
  }
  std::map<int64_t, std::vector<DeviceRoute>> online;
  if (users.empty()) return online;

  std::vector<std::string> keys;
  keys.reserve(users.size());
  for (int64_t user_id : users) keys.push_back(RouteKey(user_id));
  PLAZA_ASSIGN_OR_RETURN(redis::Reply reply, redis.Eval(scripts::Online(), keys, {}));
  const auto& per_user = reply.elements();
  for (size_t i = 0; i < users.size() && i < per_user.size(); ++i) {
    const auto& flat = per_user[i].elements();
    if (flat.empty()) continue;
    std::vector<DeviceRoute>& devices = online[users[i]];
    for (size_t j = 0; j + 2 < flat.size(); j += 3) {
      PLAZA_ASSIGN_OR_RETURN(uint64_t connection_id, ConnectionIdOf(flat[j + 2]));
      devices.push_back({users[i], flat[j].str(), flat[j + 1].str(), connection_id});
    }
    std::sort(devices.begin(), devices.end(),
              [](const DeviceRoute& a, const DeviceRoute& b) { return a.device_id < b.device_id; });
  }
  return online;
}

}  // namespace plaza::events
