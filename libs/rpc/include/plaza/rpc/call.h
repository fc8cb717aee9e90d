#pragma once

// What every gRPC handler needs: the caller's verified identity, the request id in scope, and
// absl::Status → grpc::Status with the stable reason in trailing metadata `x-plaza-reason`.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <grpcpp/server_context.h>
#include <spdlog/spdlog.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "plaza/core/logging.h"

namespace plaza::rpc {

inline constexpr std::string_view kReasonKey = "x-plaza-reason";
inline constexpr std::string_view kRequestIdKey = "x-plaza-request-id";
inline constexpr std::string_view kClientIpKey = "x-plaza-client-ip";
// Set only by AuthInterceptor after verifying the bearer token; client-sent copies are removed.
inline constexpr std::string_view kUserIdKey = "x-plaza-user-id";
inline constexpr std::string_view kDeviceIdKey = "x-plaza-device-id";
inline constexpr std::string_view kSessionIdKey = "x-plaza-session-id";
inline constexpr std::string_view kAuthErrorKey = "x-plaza-auth-error";

// The verified caller of an authenticated RPC.
struct Caller {
  int64_t user_id = 0;
  std::string device_id;
  int64_t session_id = 0;
};

// The first value of client metadata `key`, if any.
std::optional<std::string_view> ClientMetadata(const grpc::ServerContextBase& context, std::string_view key);

// The caller proven by the bearer token, or UNAUTHENTICATED with the token's refusal reason
// (TOKEN_MISSING, TOKEN_EXPIRED, SESSION_REVOKED, ...).
absl::StatusOr<Caller> RequireCaller(const grpc::ServerContextBase& context);

// The request id the observability interceptor assigned (or the gateway sent).
std::string RequestIdOf(const grpc::ServerContextBase& context);

// The client's IP: the gateway's `x-plaza-client-ip` if the server trusts it (the interceptor
// removes it otherwise), else the transport peer.
std::string ClientIpOf(const grpc::ServerContextBase& context);

// Converts `status`, adding `x-plaza-reason` to the trailing metadata when it has a reason.
grpc::Status ToGrpcStatus(const absl::Status& status, grpc::ServerContextBase* context);

// Runs a handler body (returning absl::Status) with the call's request id in scope for logging,
// turns escaping exceptions into INTERNAL (logged, never sent), and converts the result.
template <typename Body>
grpc::Status Handle(grpc::ServerContext* context, Body&& body) {
  core::RequestIdScope scope(RequestIdOf(*context));
  absl::Status status;
  try {
    status = body();
  } catch (const std::exception& error) {
    spdlog::error("unhandled exception: {}", error.what());
    status = absl::InternalError("internal error");
  }
  return ToGrpcStatus(status, context);
}

// Handle() for methods that need a verified caller: UNAUTHENTICATED before `body(caller)` runs
// if the call carries no valid access token.
template <typename Body>
grpc::Status HandleAuthenticated(grpc::ServerContext* context, Body&& body) {
  return Handle(context, [&]() -> absl::Status {
    auto caller = RequireCaller(*context);
    if (!caller.ok()) return caller.status();
    return body(*caller);
  });
}

}  // namespace plaza::rpc
