#pragma once

// What every service does to push: stamp an event with a fresh id and the time, publish it
// after the change is committed, and log (never fail the caller) when Redis cannot take it —
// a push is a hint, and devices catch up through the owning service's calls.

#include <cstdint>
#include <optional>
#include <vector>

#include "plaza/core/clock.h"
#include "plaza/core/ids.h"
#include "plaza/events/publisher.h"
#include "plaza/events/v1/event.pb.h"

namespace plaza::events {

class EventSender {
 public:
  EventSender(Publisher& publisher, core::IdGenerator& ids, const core::Clock& clock);

  // A fresh id and the current time; the caller sets the kind.
  v1::Event NewEvent() const;

  // Publishes `event` to `user_ids` except `exclude`. False, after logging, if it could not be
  // published; a caller with more events to send stops there, as the rest would only wait for
  // the same Redis again.
  bool Send(const v1::Event& event, const std::vector<int64_t>& user_ids,
            const std::optional<Publisher::Exclude>& exclude = std::nullopt) const;

 private:
  Publisher& publisher_;
  core::IdGenerator& ids_;
  const core::Clock& clock_;
};

}  // namespace plaza::events
