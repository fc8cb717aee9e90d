#pragma once

// Keeps messaging's view of each group (its conversation, members and notices) in step with
// groups, which is the truth about membership.
//
// Every change messaging must hear about is written to groups.outbox in the same transaction as
// the change itself, so a committed change is never forgotten, whatever crashes or fails after.
// Right after committing, the service delivers the group's pending changes itself (the common
// case: the change takes effect in messaging before the caller gets the answer); what that
// misses (messaging down, a crash between commit and delivery) a background pass retries with
// backoff. A group's changes are delivered one at a time in commit order: a deliverer leases the
// oldest, and nobody else touches the group until it completes or the lease runs out.
//
// Delivery is at least once; messaging makes repeats harmless: CreateConversation is a no-op for
// an existing id, AddMembers and RemoveMembers skip users already added or removed (and post no
// notice then), a notice is posted with client id "groups.outbox:<outbox_id>" so a repeat
// returns the first, and closing a closed conversation does nothing.
//
// Messaging's refusals that retrying cannot fix (INVALID_ARGUMENT, NOT_FOUND, ALREADY_EXISTS,
// FAILED_PRECONDITION, OUT_OF_RANGE) mark the change failed, logged and kept in the table for an
// operator, and delivery moves on so one bad change does not stop the group. Everything else is
// retried: 1 s, doubling, up to every 5 minutes.

#include <grpcpp/channel.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "absl/status/status.h"
#include "plaza/core/clock.h"
#include "plaza/messaging/v1/internal_service.grpc.pb.h"
#include "services/groups/groups_store.h"
#include "services/groups/people.h"

namespace plaza::groups {

class OutboxRelay {
 public:
  // A lease outlives a delivery: one identity and one messaging call, at most 10 s each
  // (config.cc caps their deadlines).
  static constexpr std::chrono::seconds kLease{30};

  OutboxRelay(GroupsStore& store, People& people, std::shared_ptr<grpc::Channel> messaging,
              std::chrono::milliseconds deadline, const core::Clock& clock);
  ~OutboxRelay();  // Stop()

  // Delivers the group's due changes in order until none is left, one fails for now, or another
  // deliverer holds the group. Never fails the caller: what is left waits for the next pass.
  void DeliverGroup(int64_t group_id);

  // One pass over the groups with changes due.
  void DeliverDue();

  // Makes the messaging call of one change (with notice text naming people, or "a member" if
  // identity cannot say). Public so tests can replay a delivery that crashed before completing.
  absl::Status Apply(int64_t group_id, const OutboxEntry& entry);

  // Runs DeliverDue every `interval` on a thread of its own until Stop().
  void Start(std::chrono::milliseconds interval);
  void Stop();

 private:
  GroupsStore& store_;
  People& people_;
  std::unique_ptr<messaging::v1::InternalService::Stub> messaging_;
  const std::chrono::milliseconds deadline_;
  const core::Clock& clock_;

  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace plaza::groups
