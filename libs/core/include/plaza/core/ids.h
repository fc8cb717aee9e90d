#pragma once

// 64-bit, time-ordered, unique ids (the Snowflake layout): 41 bits of milliseconds since
// 2025-01-01T00:00:00Z, 10 bits of node id, 12 bits of sequence within the millisecond. Ids from
// one generator strictly increase; ids from different nodes never collide. Positive as int64.

#include <cstdint>
#include <mutex>

#include "plaza/core/clock.h"

namespace plaza::core {

class IdGenerator {
 public:
  static constexpr int64_t kEpochMs = 1'735'689'600'000;  // 2025-01-01T00:00:00Z
  static constexpr int kNodeBits = 10;
  static constexpr int kSequenceBits = 12;
  static constexpr int64_t kMaxNode = (int64_t{1} << kNodeBits) - 1;

  // `node_id` must be in [0, kMaxNode]; aborts otherwise (a configuration error).
  IdGenerator(int64_t node_id, const Clock& clock);

  // Thread-safe. If the clock steps backwards, keeps counting from the last issued time
  // rather than ever repeating or decreasing.
  int64_t Next();

  // Milliseconds since the Unix epoch encoded in `id`.
  static int64_t UnixMillisOf(int64_t id);

 private:
  const int64_t node_id_;
  const Clock& clock_;
  std::mutex mutex_;
  int64_t last_ms_ = 0;
  int64_t sequence_ = 0;
};

}  // namespace plaza::core
