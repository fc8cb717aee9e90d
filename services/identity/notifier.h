#pragma once

// Identity's pushes: what changed for a user, sent as plaza.events.v1.Event to their online
// devices through the gateway. Callers notify only after the change is committed.

#include <cstdint>
#include <vector>

#include "plaza/events/event_sender.h"
#include "plaza/redis/redis.h"

namespace plaza::identity {

class Notifier {
 public:
  Notifier(const events::EventSender& sender, redis::Pool& redis)
      : sender_(sender), redis_(redis) {}

  // One SessionRevoked per session to `user_id`, who owns them all; the gateway closes the
  // streams of those sessions.
  void SessionsRevoked(int64_t user_id, const std::vector<int64_t>& session_ids);
  // FriendRequestReceived to `to_user_id`, for a request that is pending.
  void FriendRequestReceived(int64_t to_user_id, int64_t request_id, int64_t from_user_id);
  // FriendAdded to each of the two, naming the other.
  void FriendAdded(int64_t user_id, int64_t other_user_id);
  // To services that remember who may message whom: the two are no longer friends, or one
  // blocked the other.
  void RelationNarrowed(int64_t user_id, int64_t other_user_id);

 private:
  const events::EventSender& sender_;
  redis::Pool& redis_;
};

}  // namespace plaza::identity
