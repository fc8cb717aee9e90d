#pragma once

// A chat shows one conversation while the same messages may arrive three ways: the history it
// opened with, the live push stream, and Sync after a reconnect. This decides what to print:
// each sequence once, and a shown message again only when it was edited or recalled since.

#include <cstdint>
#include <map>
#include <utility>

#include "plaza/messaging/v1/messages.pb.h"

namespace plaza::cli {

class SeenMessages {
 public:
  // Messages below `first_shown_seq` are older history the view starts after; they are never
  // shown (a Sync from an old cursor would otherwise replay them after newer ones).
  explicit SeenMessages(int64_t first_shown_seq) : first_shown_seq_(first_shown_seq) {}

  // True if `message` should be printed now; remembers that it was.
  bool Admit(const messaging::v1::Message& message);

 private:
  // What makes a message worth showing again: its edit count and state.
  using Version = std::pair<int32_t, int>;

  int64_t first_shown_seq_;
  std::map<int64_t, Version> shown_;
};

}  // namespace plaza::cli
