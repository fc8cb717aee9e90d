#pragma once

// The client_message_id plaza-bench chat and group give each message, "bench.<run>.<lane>.<n>",
// so that a receiver can tell from the pushed message alone which send it answers. Pure,
// unit-tested in tests/message_ids_test.cc.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace plaza::bench {

struct MessageKey {
  int64_t run = 0;   // 0 for the warm-up
  int64_t lane = 0;  // which sender: a pair of users (chat), a sending member (group)
  int64_t n = 0;     // the lane's n-th message of the run, from 0

  bool operator==(const MessageKey&) const = default;
};

// Fields are non-negative. The id is [a-z0-9.] and at most 64 bytes, as SendMessage requires,
// while each field has at most 18 digits (run and lane are small in practice).
std::string FormatMessageId(const MessageKey& key);

// The key of an id FormatMessageId made; nullopt for any other text.
std::optional<MessageKey> ParseMessageId(std::string_view id);

}  // namespace plaza::bench
