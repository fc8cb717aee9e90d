#include "tools/cli/seen_messages.h"

namespace plaza::cli {

bool SeenMessages::Admit(const messaging::v1::Message& message) {
  if (message.seq() < first_shown_seq_) return false;
  Version version{message.edit_count(), static_cast<int>(message.state())};
  auto [entry, inserted] = shown_.try_emplace(message.seq(), version);
  if (inserted) return true;
  if (entry->second == version) return false;
  entry->second = version;
  return true;
}

}  // namespace plaza::cli
