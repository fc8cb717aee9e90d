#pragma once

// Who may message whom, as identity knows it: friendship and blocks, through
// plaza.identity.v1.InternalService. Direct sends ask on every message, so a positive answer is
// remembered — but only while the subscription to identity's relation changes is up (a change
// announced while it was down would be missed), for at most a minute, and never past an
// announcement for the pair: removing or blocking a friend takes effect at once.

#include <grpcpp/channel.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "plaza/identity/v1/internal_service.grpc.pb.h"
#include "plaza/redis/subscriber.h"

namespace plaza::messaging {

class Relations {
 public:
  // Without `redis_url` nothing is remembered.
  Relations(std::shared_ptr<grpc::Channel> identity, std::chrono::milliseconds deadline,
            const std::optional<std::string>& redis_url);
  ~Relations();

  // OK if `user_id` may write to `peer_user_id`; FAILED_PRECONDITION NOT_FRIENDS or BLOCKED
  // otherwise; UNAVAILABLE IDENTITY_UNAVAILABLE if identity cannot answer.
  absl::Status CheckCanMessage(int64_t user_id, int64_t peer_user_id);

  // True while announcements are heard, i.e. while answers are remembered.
  bool listening() const { return changes_ != nullptr && changes_->subscribed(); }

 private:
  static constexpr std::chrono::seconds kRememberFor{60};
  static constexpr size_t kMaxRemembered = 100'000;

  absl::Status AskIdentity(int64_t user_id, int64_t peer_user_id);
  // Forgets everything, and makes answers still in flight not remembered.
  void ForgetAll();

  std::unique_ptr<identity::v1::InternalService::Stub> stub_;
  const std::chrono::milliseconds deadline_;
  std::mutex mutex_;
  // (lower id, higher id) -> until when the pair may message.
  std::map<std::pair<int64_t, int64_t>, std::chrono::steady_clock::time_point> allowed_;
  // Bumped by every forgetting, so an answer asked before one is not remembered after it.
  uint64_t generation_ = 0;
  std::unique_ptr<redis::Subscriber> changes_;  // last: stopped before the rest goes
};

}  // namespace plaza::messaging
