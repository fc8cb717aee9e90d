#pragma once

// Publishing user events, for any service: one event to a set of users in one Redis round trip.
// A Lua script looks up the users' routes (see wire.h), groups the live ones by gateway instance
// and PUBLISHes one delivery message per instance, naming only that instance's recipients; the
// gateways write the event to the devices' streams. A push is a hint: devices that miss it catch
// up through Sync, so callers log failures and carry on.
//
// Under Redis Cluster one script may only touch keys of one hash slot, so the publisher would
// group the users by slot (the hash tag is the user id) and make one call per node. Plaza runs a
// single Redis (or a primary with replicas) today, so this is not done.

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "plaza/events/routes.h"
#include "plaza/events/v1/event.pb.h"
#include "plaza/events/wire.h"
#include "plaza/redis/redis.h"
#include "plaza/redis/script.h"

namespace plaza::events {

class Publisher {
 public:
  // The largest serialized event Publish sends (a message event carries the message itself).
  static constexpr size_t kMaxEventBytes = size_t{64} * 1024;

  using Exclude = DeviceRef;

  explicit Publisher(redis::Pool& redis);

  // Publishes `event` to every live device of `user_ids` except `exclude` (e.g. the sender's own
  // device, which already knows). Returns the users, in input order without duplicates, that
  // have no live route at all, for the caller to reach another way (mobile push). A user whose
  // only live device is the excluded one is online, not offline: nothing is published for them.
  //
  // No users: an empty result without I/O. INVALID_ARGUMENT for more than kMaxUsersPerCall
  // entries (TOO_MANY_USERS), a bad user or device id (USER_ID_INVALID, DEVICE_ID_INVALID) or
  // an event over kMaxEventBytes (EVENT_TOO_LARGE). UNAVAILABLE with reason REDIS_UNAVAILABLE
  // (or REDIS_BUSY) when Redis cannot be used; the event may or may not have gone out then.
  absl::StatusOr<std::vector<int64_t>> Publish(
      const plaza::events::v1::Event& event, const std::vector<int64_t>& user_ids,
      const std::optional<Exclude>& exclude = std::nullopt);

 private:
  redis::Pool& redis_;
};

}  // namespace plaza::events
