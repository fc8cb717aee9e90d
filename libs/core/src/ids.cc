#include "plaza/core/ids.h"

#include <cstdio>
#include <cstdlib>

namespace plaza::core {

IdGenerator::IdGenerator(int64_t node_id, const Clock& clock) : node_id_(node_id), clock_(clock) {
  if (node_id < 0 || node_id > kMaxNode) {
    std::fprintf(stderr, "node id %lld outside [0, %lld]\n", static_cast<long long>(node_id),
                 static_cast<long long>(kMaxNode));
    std::abort();
  }
}

int64_t IdGenerator::Next() {
  int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                       clock_.Now().time_since_epoch()).count() - kEpochMs;
  std::lock_guard lock(mutex_);
  if (now_ms <= last_ms_) {
    // Same millisecond, or the clock went back: borrow from the future rather than repeat.
    if (++sequence_ > (int64_t{1} << kSequenceBits) - 1) {
      sequence_ = 0;
      ++last_ms_;
    }
  } else {
    last_ms_ = now_ms;
    sequence_ = 0;
  }
  return (last_ms_ << (kNodeBits + kSequenceBits)) | (node_id_ << kSequenceBits) | sequence_;
}

int64_t IdGenerator::UnixMillisOf(int64_t id) {
  return (id >> (kNodeBits + kSequenceBits)) + kEpochMs;
}

}  // namespace plaza::core
