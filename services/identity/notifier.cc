#include "services/identity/notifier.h"

#include <spdlog/spdlog.h>

#include <utility>

#include "plaza/events/announcements.h"

namespace plaza::identity {

using events::v1::Event;

void Notifier::SessionsRevoked(int64_t user_id, const std::vector<int64_t>& session_ids) {
  for (int64_t session_id : session_ids) {
    Event event = sender_.NewEvent();
    event.mutable_session_revoked()->set_session_id(session_id);
    if (!sender_.Send(event, {user_id})) return;
  }
}

void Notifier::FriendRequestReceived(int64_t to_user_id, int64_t request_id, int64_t from_user_id) {
  Event event = sender_.NewEvent();
  auto* received = event.mutable_friend_request_received();
  received->set_request_id(request_id);
  received->set_from_user_id(from_user_id);
  sender_.Send(event, {to_user_id});
}

void Notifier::FriendAdded(int64_t user_id, int64_t other_user_id) {
  for (auto [to, named] : {std::pair{user_id, other_user_id}, std::pair{other_user_id, user_id}}) {
    Event event = sender_.NewEvent();
    event.mutable_friend_added()->set_friend_user_id(named);
    if (!sender_.Send(event, {to})) return;
  }
}

void Notifier::RelationNarrowed(int64_t user_id, int64_t other_user_id) {
  if (auto announced = events::Announce(redis_, events::kRelationChangesChannel,
                                         events::EncodeRelationChange(user_id, other_user_id));
      !announced.ok()) {
    // Listeners stop trusting what they remember while Redis is away, and forget it within a
    // minute anyway.
    spdlog::warn("could not announce a relation change: {}", announced.ToString());
  }
}

}  // namespace plaza::identity
