#pragma once

// Who may message whom, as identity knows it: friendship and blocks, asked through
// plaza.identity.v1.InternalService on every direct send so that removing or blocking a friend
// takes effect at once.

#include <grpcpp/channel.h>

#include <chrono>
#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "plaza/identity/v1/internal_service.grpc.pb.h"

namespace plaza::messaging {

class Relations {
 public:
  Relations(std::shared_ptr<grpc::Channel> identity, std::chrono::milliseconds deadline);

  // OK if `user_id` may write to `peer_user_id`; FAILED_PRECONDITION NOT_FRIENDS or BLOCKED
  // otherwise; UNAVAILABLE IDENTITY_UNAVAILABLE if identity cannot answer.
  absl::Status CheckCanMessage(int64_t user_id, int64_t peer_user_id);

 private:
  std::unique_ptr<identity::v1::InternalService::Stub> stub_;
  const std::chrono::milliseconds deadline_;
};

}  // namespace plaza::messaging
