#pragma once

// Presence: which gateway instance holds each device's push stream. The gateway records a route
// when a device connects (Claim), keeps it alive with its heartbeats (Refresh) and removes it
// when the stream ends (Release); any service can ask who is online (OnlineDevices). Routes live
// in Redis only (see wire.h for the data model): if Redis loses them, the gateway claims them
// again when its subscription comes back, and until then pushes are lost, which clients repair
// with Sync.
//
// Errors: INVALID_ARGUMENT (USER_ID_INVALID, DEVICE_ID_INVALID, TOO_MANY_USERS) for bad input,
// changing nothing; the Pool's statuses otherwise, notably UNAVAILABLE with reason
// REDIS_UNAVAILABLE when Redis is down (a write may or may not have happened then).

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "plaza/redis/redis.h"
#include "plaza/redis/script.h"

namespace plaza::events {

// The most users one call of OnlineDevices or Publisher::Publish takes.
inline constexpr size_t kMaxUsersPerCall = 10'000;

// Where one device's push stream is: connection `connection_id` of gateway `instance_id`.
struct DeviceRoute {
  int64_t user_id = 0;
  std::string device_id;
  std::string instance_id;
  uint64_t connection_id = 0;

  bool operator==(const DeviceRoute&) const = default;
};

// The gateway side: the routes of this instance's streams. Connection ids are the instance's own
// (unique within the instance for its lifetime); a route names a connection by instance and id.
// Thread-safe.
class RouteRegistry {
 public:
  // The most routes one Refresh script call carries; Refresh splits larger sets.
  static constexpr size_t kRefreshBatch = 1000;

  // Throws std::invalid_argument if `instance_id` is not valid (see wire.h) or `ttl` is not
  // positive. `ttl` should be a few heartbeat intervals, so one late refresh loses nothing.
  RouteRegistry(redis::Pool& redis, std::string instance_id, std::chrono::milliseconds ttl);

  const std::string& instance_id() const { return instance_id_; }

  // Records (user, device) -> (this instance, connection_id), expiring after ttl unless
  // refreshed. One script call: if a different live connection held the device, it returns that
  // holder, and when the holder is on another instance it also publishes a replace message to
  // that instance's channel. A holder on this instance is returned only, so the caller closes its
  // own older stream. Claiming again with the route's own connection (e.g. after the subscriber
  // reconnected) refreshes it and returns nullopt.
  absl::StatusOr<std::optional<DeviceRoute>> Claim(int64_t user_id, std::string_view device_id,
                                                   uint64_t connection_id);

  // Pushes the expiry of `routes` (all of this instance) out to now + ttl: one script call per
  // kRefreshBatch routes. A route still held by its connection is refreshed even if it has
  // just expired, provided no script deleted it yet. Returns the routes that were not refreshed
  // because the device is now held by another connection or by nobody: the caller should end
  // those streams (or Claim again), since events no longer reach them. Routes of another
  // instance are INVALID_ARGUMENT (INSTANCE_ID_MISMATCH).
  absl::StatusOr<std::vector<DeviceRoute>> Refresh(const std::vector<DeviceRoute>& routes);

  // Removes the route only if this connection still holds it (compare-and-delete); removing a
  // route that is gone or held by another connection is OK and changes nothing.
  absl::Status Release(int64_t user_id, std::string_view device_id, uint64_t connection_id);

 private:
  redis::Pool& redis_;
  const std::string instance_id_;
  const std::chrono::milliseconds ttl_;
};

// Presence for any service: the live routes of each user, in one round trip (one script call).
// Users with no live route are absent from the map; each user's routes are ordered by device id.
// Duplicates in `user_ids` are fine. More than kMaxUsersPerCall users is INVALID_ARGUMENT
// (TOO_MANY_USERS); no users returns an empty map without I/O.
absl::StatusOr<std::map<int64_t, std::vector<DeviceRoute>>> OnlineDevices(
    redis::Pool& redis, const std::vector<int64_t>& user_ids);

}  // namespace plaza::events
