#include "plaza/events/publisher.h"

#include <string>
#include <unordered_set>

#include "plaza/core/status.h"
#include "scripts.h"

namespace plaza::events {

Publisher::Publisher(redis::Pool& redis) : redis_(redis) {}

absl::StatusOr<std::vector<int64_t>> Publisher::Publish(const plaza::events::v1::Event& event,
                                                        const std::vector<int64_t>& user_ids,
                                                        const std::optional<Exclude>& exclude) {
  if (user_ids.size() > kMaxUsersPerCall) {
    return InvalidArgument("TOO_MANY_USERS",
                           "at most " + std::to_string(kMaxUsersPerCall) + " users per publish");
  }
  if (exclude) {
    PLAZA_RETURN_IF_ERROR(CheckUserId(exclude->user_id));
    PLAZA_RETURN_IF_ERROR(CheckDeviceId(exclude->device_id));
  }
  std::vector<int64_t> users;
  users.reserve(user_ids.size());
  std::unordered_set<int64_t> seen;
  for (int64_t user_id : user_ids) {
    PLAZA_RETURN_IF_ERROR(CheckUserId(user_id));
    if (seen.insert(user_id).second) users.push_back(user_id);
  }
  if (users.empty()) return users;
  if (event.ByteSizeLong() > kMaxEventBytes) {
    return InvalidArgument(
        "EVENT_TOO_LARGE",
        "an event is at most " + std::to_string(kMaxEventBytes) + " bytes serialized");
  }

  std::vector<std::string> keys;
  std::vector<std::string> args;
  keys.reserve(users.size());
  args.reserve(3 + users.size());
  args.emplace_back();
  if (!event.SerializeToString(&args.back())) {
    return Internal("EVENT_INVALID", "the event cannot be serialized");
  }
  args.push_back(exclude ? std::to_string(exclude->user_id) : "");
  args.push_back(exclude ? exclude->device_id : "");
  for (int64_t user_id : users) {
    keys.push_back(RouteKey(user_id));
    args.push_back(std::to_string(user_id));
  }
  PLAZA_ASSIGN_OR_RETURN(redis::Reply reply, redis_.Eval(scripts::Publish(), keys, args));
  std::vector<int64_t> offline;
  offline.reserve(reply.elements().size());
  for (const redis::Reply& position : reply.elements()) {
    offline.push_back(users.at(static_cast<size_t>(position.integer()) - 1));
  }
  return offline;
}

}  // namespace plaza::events
