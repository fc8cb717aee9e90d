#pragma once

// Every call through the gateway, proxied or its own, passes the door: a valid access token
// unless the method is public, the caller's and the client IP's rate limits, and overload
// control by priority.

#include <grpcpp/server_context.h>

#include <optional>

#include "plaza/core/clock.h"
#include "plaza/rpc/call.h"
#include "plaza/rpc/metrics.h"
#include "services/gateway/admission.h"
#include "services/gateway/method_policy.h"
#include "services/gateway/rate_limit.h"

namespace plaza::gateway {

inline constexpr std::string_view kRetryAfterKey = "x-plaza-retry-after-ms";

class Door {
 public:
  Door(RateLimiter& limiter, AdmissionControl& admission, const core::Clock& clock,
       rpc::Metrics& metrics);

  // OK, with the verified caller (none for a public method called without a token), or the
  // status to refuse with; a refusal's reason and retry hint are already in `context`'s trailing
  // metadata.
  grpc::Status Admit(const MethodPolicy& policy, grpc::ServerContextBase* context,
                     std::optional<rpc::Caller>* caller);

 private:
  grpc::Status Refuse(grpc::ServerContextBase* context, const MethodPolicy& policy,
                      std::string_view reason, std::string message,
                      std::chrono::milliseconds retry_after);

  RateLimiter& limiter_;
  AdmissionControl& admission_;
  const core::Clock& clock_;
  rpc::Metrics& metrics_;
};

}  // namespace plaza::gateway
