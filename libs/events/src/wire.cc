#include "plaza/events/wire.h"

#include <charconv>
#include <utility>

#include "plaza/core/status.h"

namespace plaza::events {
namespace {

constexpr size_t kMaxIdLength = 128;

// Printable ASCII other than space, and other than `also_refused`.
bool PlainId(std::string_view id, char also_refused) {
  if (id.empty() || id.size() > kMaxIdLength) return false;
  for (char c : id) {
    if (c <= ' ' || c > '~' || c == also_refused) return false;
  }
  return true;
}

// The whole of `text` as a decimal number: no sign, no spaces, no leading '+'.
template <typename Int>
std::optional<Int> ParseDecimal(std::string_view text) {
  if (text.empty() || text.front() == '-') return std::nullopt;
  Int value{};
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<int64_t> ParseUserId(std::string_view text) {
  auto id = ParseDecimal<int64_t>(text);
  if (!id || !ValidUserId(*id)) return std::nullopt;
  return id;
}

absl::Status BadMessage(std::string_view what) {
  return InvalidArgument("INSTANCE_MESSAGE_INVALID",
                         "malformed gateway instance message: " + std::string(what));
}

absl::StatusOr<InstanceMessage> DecodeDelivery(std::string_view body) {
  auto first = body.find('\n');
  if (first == std::string_view::npos) return BadMessage("no end of recipients");
  auto second = body.find('\n', first + 1);
  if (second == std::string_view::npos) return BadMessage("no end of exclude");
  std::string_view recipients = body.substr(0, first);
  std::string_view exclude = body.substr(first + 1, second - first - 1);

  Delivery delivery;
  if (recipients.empty()) return BadMessage("no recipients");
  while (true) {
    auto comma = recipients.find(',');
    auto id = ParseUserId(recipients.substr(0, comma));
    if (!id) return BadMessage("bad recipient");
    delivery.recipients.push_back(*id);
    if (comma == std::string_view::npos) break;
    recipients.remove_prefix(comma + 1);
  }
  if (!exclude.empty()) {
    auto colon = exclude.find(':');
    auto user_id = ParseUserId(exclude.substr(0, colon));
    if (colon == std::string_view::npos || !user_id || !ValidDeviceId(exclude.substr(colon + 1))) {
      return BadMessage("bad exclude");
    }
    delivery.exclude = DeviceRef{*user_id, std::string(exclude.substr(colon + 1))};
  }
  delivery.event = std::string(body.substr(second + 1));
  return delivery;
}

absl::StatusOr<InstanceMessage> DecodeReplace(std::string_view body) {
  auto first = body.find(':');
  auto last = body.rfind(':');
  if (first == std::string_view::npos || first == last) return BadMessage("replace needs 3 fields");
  auto user_id = ParseUserId(body.substr(0, first));
  std::string_view device_id = body.substr(first + 1, last - first - 1);
  auto connection_id = ParseDecimal<uint64_t>(body.substr(last + 1));
  if (!user_id || !ValidDeviceId(device_id) || !connection_id) {
    return BadMessage("bad replace fields");
  }
  return Replace{*user_id, std::string(device_id), *connection_id};
}

}  // namespace

std::string RouteKey(int64_t user_id) { return "plaza:route:{" + std::to_string(user_id) + "}"; }

std::string InstanceChannel(std::string_view instance_id) {
  return "plaza:gateway:" + std::string(instance_id);
}

bool ValidUserId(int64_t user_id) { return user_id > 0; }
bool ValidDeviceId(std::string_view device_id) { return PlainId(device_id, ':'); }
bool ValidInstanceId(std::string_view instance_id) { return PlainId(instance_id, ' '); }

absl::Status CheckUserId(int64_t user_id) {
  if (ValidUserId(user_id)) return absl::OkStatus();
  return InvalidArgument("USER_ID_INVALID", "user ids are positive");
}

absl::Status CheckDeviceId(std::string_view device_id) {
  if (ValidDeviceId(device_id)) return absl::OkStatus();
  return InvalidArgument("DEVICE_ID_INVALID",
                         "a device id is 1-128 printable ASCII characters, no space or ':'");
}

std::string EncodeRouteValue(const RouteValue& value) {
  return value.instance_id + " " + std::to_string(value.connection_id) + " " +
         std::to_string(value.expires_at_ms);
}

std::optional<RouteValue> DecodeRouteValue(std::string_view text) {
  auto first = text.find(' ');
  if (first == std::string_view::npos) return std::nullopt;
  auto second = text.find(' ', first + 1);
  if (second == std::string_view::npos) return std::nullopt;
  RouteValue value;
  value.instance_id = std::string(text.substr(0, first));
  auto connection_id = ParseDecimal<uint64_t>(text.substr(first + 1, second - first - 1));
  auto expires_at = ParseDecimal<int64_t>(text.substr(second + 1));
  if (!ValidInstanceId(value.instance_id) || !connection_id || !expires_at) return std::nullopt;
  value.connection_id = *connection_id;
  value.expires_at_ms = *expires_at;
  return value;
}

std::string EncodeDelivery(const Delivery& delivery) {
  std::string out = "D";
  for (size_t i = 0; i < delivery.recipients.size(); ++i) {
    if (i > 0) out += ',';
    out += std::to_string(delivery.recipients[i]);
  }
  out += '\n';
  if (delivery.exclude) {
    out += std::to_string(delivery.exclude->user_id) + ":" + delivery.exclude->device_id;
  }
  out += '\n';
  out += delivery.event;
  return out;
}

std::string EncodeReplace(const Replace& replace) {
  return "R" + std::to_string(replace.user_id) + ":" + replace.device_id + ":" +
         std::to_string(replace.connection_id);
}

absl::StatusOr<InstanceMessage> DecodeInstanceMessage(std::string_view payload) {
  if (payload.empty()) return BadMessage("empty");
  std::string_view body = payload.substr(1);
  switch (payload.front()) {
    case 'D':
      return DecodeDelivery(body);
    case 'R':
      return DecodeReplace(body);
    default:
      return BadMessage("unknown kind");
  }
}

}  // namespace plaza::events
