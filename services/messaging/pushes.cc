#include "services/messaging/pushes.h"

namespace plaza::messaging {

void Pushes::MessageChanged(const v1::Message& message, const std::vector<int64_t>& recipients,
                            const std::optional<events::DeviceRef>& acting_device) {
  auto event = sender_.NewEvent();
  *event.mutable_message_changed()->mutable_message() = message;
  sender_.Send(event, recipients, acting_device);
}

void Pushes::ConversationChanged(int64_t user_id, const v1::Conversation& view,
                                 int64_t total_unread,
                                 const std::optional<events::DeviceRef>& acting_device) {
  auto event = sender_.NewEvent();
  auto* changed = event.mutable_conversation_changed();
  *changed->mutable_conversation() = view;
  changed->set_total_unread_count(total_unread);
  sender_.Send(event, {user_id}, acting_device);
}

void Pushes::Typing(int64_t conversation_id, int64_t user_id, bool typing,
                    const std::vector<int64_t>& recipients) {
  auto event = sender_.NewEvent();
  auto* typing_event = event.mutable_typing();
  typing_event->set_conversation_id(conversation_id);
  typing_event->set_user_id(user_id);
  typing_event->set_typing(typing);
  sender_.Send(event, recipients);
}

}  // namespace plaza::messaging
