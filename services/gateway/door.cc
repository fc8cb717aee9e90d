#include "services/gateway/door.h"

namespace plaza::gateway {
namespace {

// Shed calls are retried after this; long enough for the admission level to move.
constexpr std::chrono::milliseconds kOverloadRetryAfter{1000};

}  // namespace

Door::Door(RateLimiter& limiter, AdmissionControl& admission, const core::Clock& clock,
           rpc::Metrics& metrics)
    : limiter_(limiter), admission_(admission), clock_(clock), metrics_(metrics) {
  metrics_.Declare("plaza_gateway_refused_total", rpc::Metrics::Kind::kCounter,
                   "Calls refused at the gateway, by route and reason (RATE_LIMITED, OVERLOADED).");
}

grpc::Status Door::Admit(const MethodPolicy& policy, grpc::ServerContextBase* context,
                         std::optional<rpc::Caller>* caller) {
  auto verified = rpc::RequireCaller(*context);
  if (verified.ok()) {
    *caller = *verified;
  } else if (!policy.is_public) {
    return rpc::ToGrpcStatus(verified.status(), context);
  }
  int64_t user_id = *caller ? (*caller)->user_id : 0;
  if (auto wait = limiter_.Check(policy.rate_group, user_id, rpc::ClientIpOf(*context))) {
    return Refuse(context, policy, "RATE_LIMITED", "too many requests; retry later", *wait);
  }
  Priority priority{policy.business_priority, UserPriority(user_id, clock_.Now())};
  if (!admission_.Admit(priority)) {
    return Refuse(context, policy, "OVERLOADED", "the service is overloaded; retry later",
                  kOverloadRetryAfter);
  }
  return grpc::Status::OK;
}

grpc::Status Door::Refuse(grpc::ServerContextBase* context, const MethodPolicy& policy,
                          std::string_view reason, std::string message,
                          std::chrono::milliseconds retry_after) {
  metrics_.Add("plaza_gateway_refused_total",
               rpc::Metrics::Labels({{"route", policy.route}, {"reason", reason}}));
  context->AddTrailingMetadata(std::string(rpc::kReasonKey), std::string(reason));
  context->AddTrailingMetadata(std::string(kRetryAfterKey), std::to_string(retry_after.count()));
  return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, std::move(message));
}

}  // namespace plaza::gateway
