#include "services/identity/notifier.h"

#include <spdlog/spdlog.h>

#include <utility>

#include "services/identity/rules.h"

namespace plaza::identity {

using events::v1::Event;

Notifier::Notifier(events::Publisher& publisher, core::IdGenerator& ids, const core::Clock& clock)
    : publisher_(publisher), ids_(ids), clock_(clock) {}

Event Notifier::NewEvent() {
  Event event;
  event.set_event_id(ids_.Next());
  SetTimestamp(event.mutable_time(), clock_.Now());
  return event;
}

bool Notifier::Publish(const Event& event, int64_t user_id) {
  // Offline users are not reported anywhere: identity has no other way to reach a device, and
  // the device sees the change when it next calls identity.
  auto offline = publisher_.Publish(event, {user_id});
  if (!offline.ok()) {
    spdlog::warn("could not push {} to user {}: {}",
                 event.GetDescriptor()->FindFieldByNumber(event.kind_case())->name(), user_id,
                 offline.status().ToString());
  }
  return offline.ok();
}

void Notifier::SessionsRevoked(int64_t user_id, const std::vector<int64_t>& session_ids) {
  for (int64_t session_id : session_ids) {
    Event event = NewEvent();
    event.mutable_session_revoked()->set_session_id(session_id);
    if (!Publish(event, user_id)) return;
  }
}

void Notifier::FriendRequestReceived(int64_t to_user_id, int64_t request_id, int64_t from_user_id) {
  Event event = NewEvent();
  auto* received = event.mutable_friend_request_received();
  received->set_request_id(request_id);
  received->set_from_user_id(from_user_id);
  Publish(event, to_user_id);
}

void Notifier::FriendAdded(int64_t user_id, int64_t other_user_id) {
  for (auto [to, named] : {std::pair{user_id, other_user_id}, std::pair{other_user_id, user_id}}) {
    Event event = NewEvent();
    event.mutable_friend_added()->set_friend_user_id(named);
    if (!Publish(event, to)) return;
  }
}

}  // namespace plaza::identity
