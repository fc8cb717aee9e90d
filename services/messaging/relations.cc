#include "services/messaging/relations.h"

#include <grpcpp/client_context.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "plaza/core/status.h"
#include "plaza/events/relation_changes.h"

namespace plaza::messaging {

Relations::Relations(std::shared_ptr<grpc::Channel> identity, std::chrono::milliseconds deadline,
                     const std::optional<std::string>& redis_url)
    : stub_(identity::v1::InternalService::NewStub(std::move(identity))), deadline_(deadline) {
  if (!redis_url) return;
  redis::SubscriberOptions options;
  options.url = *redis_url;
  options.channels = {std::string(events::kRelationChangesChannel)};
  options.on_message = [this](std::string_view, std::string_view payload) {
    auto pair = events::DecodeRelationChange(payload);
    std::lock_guard lock(mutex_);
    ++generation_;
    if (pair) {
      allowed_.erase(*pair);
    } else {
      allowed_.clear();
    }
  };
  // Whatever was announced while unsubscribed is unknown.
  options.on_subscribed = [this] { ForgetAll(); };
  changes_ = std::make_unique<redis::Subscriber>(std::move(options));
}

Relations::~Relations() { changes_.reset(); }

void Relations::ForgetAll() {
  std::lock_guard lock(mutex_);
  ++generation_;
  allowed_.clear();
}

absl::Status Relations::CheckCanMessage(int64_t user_id, int64_t peer_user_id) {
  const std::pair key{std::min(user_id, peer_user_id), std::max(user_id, peer_user_id)};
  bool was_listening = listening();
  uint64_t generation = 0;
  {
    std::lock_guard lock(mutex_);
    auto found = allowed_.find(key);
    if (was_listening && found != allowed_.end() &&
        found->second > std::chrono::steady_clock::now()) {
      return absl::OkStatus();
    }
    generation = generation_;
  }
  PLAZA_RETURN_IF_ERROR(AskIdentity(user_id, peer_user_id));
  std::lock_guard lock(mutex_);
  if (was_listening && generation == generation_) {
    if (allowed_.size() >= kMaxRemembered) allowed_.clear();
    allowed_[key] = std::chrono::steady_clock::now() + kRememberFor;
  }
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
