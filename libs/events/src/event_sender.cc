#include "plaza/events/event_sender.h"

#include <google/protobuf/util/time_util.h>
#include <spdlog/spdlog.h>

namespace plaza::events {

EventSender::EventSender(Publisher& publisher, core::IdGenerator& ids, const core::Clock& clock)
    : publisher_(publisher), ids_(ids), clock_(clock) {}

v1::Event EventSender::NewEvent() const {
  v1::Event event;
  event.set_event_id(ids_.Next());
  *event.mutable_time() = google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(
      std::chrono::duration_cast<std::chrono::microseconds>(clock_.Now().time_since_epoch())
          .count());
  return event;
}

bool EventSender::Send(const v1::Event& event, const std::vector<int64_t>& user_ids,
                       const std::optional<Publisher::Exclude>& exclude) const {
  // Offline users are not reported anywhere yet: there is no mobile push provider, and the
  // device sees the change when it next syncs.
  auto offline = publisher_.Publish(event, user_ids, exclude);
  if (!offline.ok()) {
    spdlog::warn("could not push {} to {} users: {}",
                 event.GetDescriptor()->FindFieldByNumber(event.kind_case())->name(),
                 user_ids.size(), offline.status().ToString());
  }
  return offline.ok();
}

}  // namespace plaza::events
