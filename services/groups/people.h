#pragma once

// What groups asks identity (plaza.identity.v1.InternalService) about users: whether people
// being brought into a group are friends of whoever brings them, and the display names that
// system notices show.

#include <grpcpp/channel.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "plaza/identity/v1/internal_service.grpc.pb.h"

namespace plaza::groups {

class People {
 public:
  People(std::shared_ptr<grpc::Channel> identity, std::chrono::milliseconds deadline);

  // OK if every one of `user_ids` is a friend of `user_id`: FAILED_PRECONDITION NOT_FRIENDS
  // otherwise, UNAVAILABLE IDENTITY_UNAVAILABLE if identity cannot answer. One call, whatever
  // the number of users.
  absl::Status RequireFriends(int64_t user_id, const std::vector<int64_t>& user_ids);

  // The display names of those of `user_ids` (at most 500) that identity knows; UNAVAILABLE
  // IDENTITY_UNAVAILABLE if it cannot answer.
  absl::StatusOr<std::map<int64_t, std::string>> DisplayNames(const std::vector<int64_t>& user_ids);

 private:
  std::unique_ptr<identity::v1::InternalService::Stub> stub_;
  const std::chrono::milliseconds deadline_;
};

}  // namespace plaza::groups
