#pragma once

// Identity's pushes: what changed for a user, sent as plaza.events.v1.Event to their online
// devices through the gateway. Callers notify only after the change is committed. A push is a
// hint (a device that misses one sees the same through identity's calls), so a failure is logged
// and never reaches the caller, and nothing is retried.

#include <cstdint>
#include <vector>

#include "plaza/core/clock.h"
#include "plaza/core/ids.h"
#include "plaza/events/publisher.h"
#include "plaza/events/v1/event.pb.h"

namespace plaza::identity {

class Notifier {
 public:
  Notifier(events::Publisher& publisher, core::IdGenerator& ids, const core::Clock& clock);

  // One SessionRevoked per session to `user_id`, who owns them all; the gateway closes the
  // streams of those sessions.
  void SessionsRevoked(int64_t user_id, const std::vector<int64_t>& session_ids);
  // FriendRequestReceived to `to_user_id`, for a request that is pending.
  void FriendRequestReceived(int64_t to_user_id, int64_t request_id, int64_t from_user_id);
  // FriendAdded to each of the two, naming the other.
  void FriendAdded(int64_t user_id, int64_t other_user_id);

 private:
  // A fresh id and the current time; the caller sets the kind.
  events::v1::Event NewEvent();
  // False, after logging, if the event could not be published. A caller with more events to
  // send stops there: the rest would only wait for the same Redis again.
  bool Publish(const events::v1::Event& event, int64_t user_id);

  events::Publisher& publisher_;
  core::IdGenerator& ids_;
  const core::Clock& clock_;
};

}  // namespace plaza::identity
