#pragma once

// How events and routes look in Redis: key and channel names, route values and the messages on a
// gateway instance's channel. Pure functions, no I/O, so the publishing side (Lua scripts in
// publisher.cc and routes.cc build the same bytes) and the gateway's reading side share one
// definition. Keep the scripts in step with this file; the tests decode what the scripts publish.
//
// Redis data model
// ----------------
// Route hash, one per user:   key   plaza:route:{<user_id>}
//                             field <device_id>
//                             value <instance_id> <connection_id> <expires_at_unix_ms>
//   The hash tag is the user id, so a Redis Cluster can hold the routes. A route says which
//   gateway instance holds the device's push stream, and which of its connections. Redis 7.0
//   has no per-field TTL, so each entry carries its own expiry; an entry whose expires_at is
//   not after the server's TIME counts as absent everywhere, and a script that sees one deletes
//   it. The key's own PEXPIRE(AT) is pushed out to its longest-lived entry on every claim and
//   refresh, so a user whose devices all went away leaves nothing behind.
//
// Gateway instance channel:   plaza:gateway:<instance_id>
//   Each gateway instance subscribes to its own channel. Two kinds of message, told apart by
//   the first byte, binary-safe:
//     delivery  D<recipients>\n<exclude>\n<event bytes>
//               recipients: comma-separated decimal user ids with a live route on that instance
//               exclude:    <user_id>:<device_id> of the one device not to deliver to (typically
//                           the sender's own), or empty
//               event:      a serialized plaza.events.v1.Event, as is
//     replace   R<user_id>:<device_id>:<connection_id>
//               that instance's connection for the device was superseded by a newer Connect of
//               the same device on another instance: close it.
//
// Identifiers: user ids are positive; device ids are 1-128 printable ASCII characters other
// than space and ':' (identity's are 1-64 of [A-Za-z0-9._-]); instance ids are 1-128 printable
// ASCII characters other than space.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace plaza::events {

// One device of one user.
struct DeviceRef {
  int64_t user_id = 0;
  std::string device_id;

  bool operator==(const DeviceRef&) const = default;
};

// "plaza:route:{<user_id>}".
std::string RouteKey(int64_t user_id);
// "plaza:gateway:<instance_id>".
std::string InstanceChannel(std::string_view instance_id);

bool ValidUserId(int64_t user_id);
bool ValidDeviceId(std::string_view device_id);
bool ValidInstanceId(std::string_view instance_id);

// INVALID_ARGUMENT with reason USER_ID_INVALID / DEVICE_ID_INVALID, or OK.
absl::Status CheckUserId(int64_t user_id);
absl::Status CheckDeviceId(std::string_view device_id);

// The value of a route hash entry.
struct RouteValue {
  std::string instance_id;
  uint64_t connection_id = 0;
  int64_t expires_at_ms = 0;  // Unix time in milliseconds

  bool operator==(const RouteValue&) const = default;
};

std::string EncodeRouteValue(const RouteValue& value);
// nullopt for anything that is not three space-separated fields of the right shapes.
std::optional<RouteValue> DecodeRouteValue(std::string_view text);

// A delivery message: the event for `recipients`, who have a device on the receiving instance.
struct Delivery {
  std::vector<int64_t> recipients;
  std::optional<DeviceRef> exclude;
  std::string event;  // serialized plaza.events.v1.Event

  bool operator==(const Delivery&) const = default;
};

// A replace message: `connection_id` of the receiving instance no longer holds the device.
struct Replace {
  int64_t user_id = 0;
  std::string device_id;
  uint64_t connection_id = 0;

  bool operator==(const Replace&) const = default;
};

using InstanceMessage = std::variant<Delivery, Replace>;

std::string EncodeDelivery(const Delivery& delivery);
std::string EncodeReplace(const Replace& replace);
// INVALID_ARGUMENT with reason INSTANCE_MESSAGE_INVALID for anything the encoders (and the Lua
// scripts) would not produce.
absl::StatusOr<InstanceMessage> DecodeInstanceMessage(std::string_view payload);

}  // namespace plaza::events
