#include "plaza/rpc/call.h"

#include <charconv>

#include "plaza/core/status.h"

namespace plaza::rpc {

std::optional<std::string_view> ClientMetadata(const grpc::ServerContextBase& context,
                                               std::string_view key) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find(grpc::string_ref(key.data(), key.size()));
  if (it == metadata.end()) return std::nullopt;
  return std::string_view(it->second.data(), it->second.size());
}

absl::StatusOr<Caller> RequireCaller(const grpc::ServerContextBase& context) {
  auto user = ClientMetadata(context, kUserIdKey);
  if (!user) {
    auto refusal = ClientMetadata(context, kAuthErrorKey);
    std::string reason = refusal ? std::string(*refusal) : "TOKEN_MISSING";
    return Unauthenticated(reason, refusal ? "the access token was refused"
                                           : "this call needs an access token");
  }
  Caller caller;
  std::from_chars(user->data(), user->data() + user->size(), caller.user_id);
  if (auto session = ClientMetadata(context, kSessionIdKey)) {
    std::from_chars(session->data(), session->data() + session->size(), caller.session_id);
  }
  if (auto device = ClientMetadata(context, kDeviceIdKey)) caller.device_id = std::string(*device);
  return caller;
}

std::string RequestIdOf(const grpc::ServerContextBase& context) {
  auto id = ClientMetadata(context, kRequestIdKey);
  return id ? std::string(*id) : std::string("-");
}

std::string ClientIpOf(const grpc::ServerContextBase& context) {
  if (auto ip = ClientMetadata(context, kClientIpKey)) return std::string(*ip);
  // "ipv4:127.0.0.1:5000" or "ipv6:[::1]:5000" → the address part.
  std::string peer = context.peer();
  auto colon = peer.find(':');
  auto last = peer.rfind(':');
  if (colon == std::string::npos || last == colon) return peer;
  std::string address = peer.substr(colon + 1, last - colon - 1);
  if (address.size() > 2 && address.front() == '[') address = address.substr(1, address.size() - 2);
  return address;
}

grpc::Status ToGrpcStatus(const absl::Status& status, grpc::ServerContextBase* context) {
  if (status.ok()) return grpc::Status::OK;
  std::string reason = ReasonOf(status);
  if (reason.empty() && status.code() == absl::StatusCode::kInternal) reason = "INTERNAL";
  if (!reason.empty()) context->AddTrailingMetadata(std::string(kReasonKey), reason);
  if (status.code() == absl::StatusCode::kInternal) {
    // Driver and server messages stay in the logs; the client gets the request id to quote.
    return grpc::Status(grpc::StatusCode::INTERNAL, "internal error");
  }
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

}  // namespace plaza::rpc
