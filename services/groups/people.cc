#include "services/groups/people.h"

#include <grpcpp/client_context.h>
#include <spdlog/spdlog.h>

#include <set>

#include "plaza/core/status.h"

namespace plaza::groups {
namespace {

absl::Status IdentityUnavailable(std::string_view method, const grpc::Status& status) {
  spdlog::warn("identity {} failed: {} {}", method, static_cast<int>(status.error_code()),
               status.error_message());
  return Unavailable("IDENTITY_UNAVAILABLE", "cannot reach identity now; retry");
}

}  // namespace

People::People(std::shared_ptr<grpc::Channel> identity, std::chrono::milliseconds deadline)
    : stub_(identity::v1::InternalService::NewStub(std::move(identity))), deadline_(deadline) {}

absl::Status People::RequireFriends(int64_t user_id, const std::vector<int64_t>& user_ids) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + deadline_);
  identity::v1::GetFriendIdsRequest request;
  request.set_user_id(user_id);
  identity::v1::GetFriendIdsResponse response;
  if (grpc::Status status = stub_->GetFriendIds(&context, request, &response); !status.ok()) {
    return IdentityUnavailable("GetFriendIds", status);
  }
  std::set<int64_t> friends;
  for (const auto& entry : response.friends()) friends.insert(entry.user_id());
  for (int64_t id : user_ids) {
    if (!friends.contains(id)) {
      return FailedPrecondition("NOT_FRIENDS", "you can only add your friends to a group (user " +
                                                   std::to_string(id) + " is not one)");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::map<int64_t, std::string>> People::DisplayNames(
    const std::vector<int64_t>& user_ids) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + deadline_);
  identity::v1::BatchGetProfilesRequest request;
  for (int64_t id : user_ids) request.add_user_ids(id);
  identity::v1::BatchGetProfilesResponse response;
  if (grpc::Status status = stub_->BatchGetProfiles(&context, request, &response); !status.ok()) {
    return IdentityUnavailable("BatchGetProfiles", status);
  }
  std::map<int64_t, std::string> names;
  for (const auto& profile : response.profiles()) names[profile.user_id()] = profile.display_name();
  return names;
}

}  // namespace plaza::groups
