#pragma once

// Messaging's pushes, sent after the change is committed: the message as it is now to every
// member's devices, a user's new view of a conversation to their other devices, and typing.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "plaza/events/event_sender.h"
#include "plaza/messaging/v1/messages.pb.h"

namespace plaza::messaging {

class Pushes {
 public:
  explicit Pushes(const events::EventSender& sender) : sender_(sender) {}

  // To `recipients` except the acting device (which has the answer already).
  void MessageChanged(const v1::Message& message, const std::vector<int64_t>& recipients,
                      const std::optional<events::DeviceRef>& acting_device);
  void ConversationChanged(int64_t user_id, const v1::Conversation& view, int64_t total_unread,
                           const std::optional<events::DeviceRef>& acting_device);
  void Typing(int64_t conversation_id, int64_t user_id, bool typing,
              const std::vector<int64_t>& recipients);

 private:
  const events::EventSender& sender_;
};

}  // namespace plaza::messaging
