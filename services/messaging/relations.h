#pragma once

// Who may message whom, as identity knows it: friendship and blocks, through
// plaza.identity.v1.InternalService. Direct sends ask on every message, so a positive answer is
// remembered for at most a minute while identity's relation announcements are heard: removing or
// blocking a friend takes effect at once.

#include <grpcpp/channel.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "plaza/identity/v1/internal_service.grpc.pb.h"
#include "services/messaging/remembered_answers.h"

namespace plaza::messaging {

class Relations {
 public:
  // Without `redis_url` nothing is remembered.
  Relations(std::shared_ptr<grpc::Channel> identity, std::chrono::milliseconds deadline,
            const std::optional<std::string>& redis_url);

  // OK if `user_id` may write to `peer_user_id`; FAILED_PRECONDITION NOT_FRIENDS or BLOCKED
  // otherwise; UNAVAILABLE IDENTITY_UNAVAILABLE if identity cannot answer.
  absl::Status CheckCanMessage(int64_t user_id, int64_t peer_user_id);

  // True while announcements are heard, i.e. while answers are remembered.
  bool listening() const { return allowed_.listening(); }

 private:
  static constexpr std::chrono::seconds kRememberFor{60};

  absl::Status AskIdentity(int64_t user_id, int64_t peer_user_id);

  std::unique_ptr<identity::v1::InternalService::Stub> stub_;
  const std::chrono::milliseconds deadline_;
  // (lower id, higher id) -> may message each other.
  RememberedAnswers<bool> allowed_;
};

}  // namespace plaza::messaging
