#include "services/messaging/group_policies.h"

#include <grpcpp/client_context.h>
#include <spdlog/spdlog.h>

#include "plaza/core/status.h"
#include "plaza/events/announcements.h"
#include "services/messaging/message_rules.h"

namespace plaza::messaging {

GroupPolicies::GroupPolicies(std::shared_ptr<grpc::Channel> groups,
                             std::chrono::milliseconds deadline,
                             const std::optional<std::string>& redis_url)
    : stub_(groups::v1::InternalService::NewStub(std::move(groups))),
      deadline_(deadline),
      allowed_(redis_url, events::kGroupChangesChannel, [](std::string_view payload) {
        auto group_id = events::DecodeGroupChange(payload);
        if (!group_id) return Forgetting{};
        return Forgetting{.scope = Forgetting::Scope::kFirst, .key = {*group_id, 0}};
      }) {}

absl::Status GroupPolicies::CheckCanSend(int64_t group_id, int64_t user_id, bool mentions_all) {
  const std::pair key{group_id, user_id};
  auto lookup = allowed_.Find(key);
  if (lookup.answer) {
    groups::v1::GetSendPolicyResponse remembered;
    remembered.set_can_send(true);
    remembered.set_can_mention_all(*lookup.answer);
    return SendVerdict(remembered, mentions_all);
  }
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + deadline_);
  groups::v1::GetSendPolicyRequest request;
  request.set_group_id(group_id);
  request.set_user_id(user_id);
  groups::v1::GetSendPolicyResponse policy;
  grpc::Status status = stub_->GetSendPolicy(&context, request, &policy);
  if (!status.ok()) {
    spdlog::warn("groups GetSendPolicy failed: {} {}", static_cast<int>(status.error_code()),
                 status.error_message());
    return Unavailable("GROUPS_UNAVAILABLE", "cannot check the group now; retry");
  }
  if (policy.can_send()) {
    allowed_.Remember(lookup, key, policy.can_mention_all(),
                      std::chrono::steady_clock::now() + kRememberFor);
  }
  return SendVerdict(policy, mentions_all);
}

}  // namespace plaza::messaging
