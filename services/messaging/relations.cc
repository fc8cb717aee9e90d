#include "services/messaging/relations.h"

#include <grpcpp/client_context.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "plaza/core/status.h"
#include "plaza/events/announcements.h"

namespace plaza::messaging {

Relations::Relations(std::shared_ptr<grpc::Channel> identity, std::chrono::milliseconds deadline,
                     const std::optional<std::string>& redis_url)
    : stub_(identity::v1::InternalService::NewStub(std::move(identity))),
      deadline_(deadline),
      allowed_(redis_url, events::kRelationChangesChannel, [](std::string_view payload) {
        auto pair = events::DecodeRelationChange(payload);
        if (!pair) return Forgetting{};
        return Forgetting{.scope = Forgetting::Scope::kKey, .key = *pair};
      }) {}

absl::Status Relations::CheckCanMessage(int64_t user_id, int64_t peer_user_id) {
  const std::pair key{std::min(user_id, peer_user_id), std::max(user_id, peer_user_id)};
  auto lookup = allowed_.Find(key);
  if (lookup.answer) return absl::OkStatus();
  PLAZA_RETURN_IF_ERROR(AskIdentity(user_id, peer_user_id));
  allowed_.Remember(lookup, key, true, std::chrono::steady_clock::now() + kRememberFor);
  return absl::OkStatus();
}

absl::Status Relations::AskIdentity(int64_t user_id, int64_t peer_user_id) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + deadline_);
  identity::v1::CheckFriendshipRequest request;
  request.set_user_id(user_id);
  request.set_other_user_id(peer_user_id);
  identity::v1::CheckFriendshipResponse response;
  grpc::Status status = stub_->CheckFriendship(&context, request, &response);
  if (!status.ok()) {
    spdlog::warn("identity CheckFriendship failed: {} {}", static_cast<int>(status.error_code()),
                 status.error_message());
    return Unavailable("IDENTITY_UNAVAILABLE", "cannot check friendship now; retry");
  }
  if (response.user_blocked_other() || response.other_blocked_user()) {
    return FailedPrecondition("BLOCKED", "one of you blocked the other");
  }
  if (!response.are_friends()) {
    return FailedPrecondition("NOT_FRIENDS",
                              "you can only message friends; send a friend request first");
  }
  return absl::OkStatus();
}

}  // namespace plaza::messaging
