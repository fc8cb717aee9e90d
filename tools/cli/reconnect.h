#pragma once

// When to try again: retry delays, which failures are worth retrying, and what a device does when
// its push stream ends (the table in services/gateway/README.md).

#include <chrono>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace plaza::cli {

// Exponential backoff with jitter: attempt n waits between half and all of
// min(initial * 2^n, max), so clients that lost the same gateway do not return in lockstep.
class Backoff {
 public:
  Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max)
      : initial_(initial), max_(max), ceiling_(initial) {}

  // The wait before the next attempt; `random_fraction` in [0, 1) picks within the range.
  std::chrono::milliseconds Next(double random_fraction);
  // After a success: the next failure starts from `initial` again.
  void Reset() { ceiling_ = initial_; }

 private:
  std::chrono::milliseconds initial_;
  std::chrono::milliseconds max_;
  std::chrono::milliseconds ceiling_;
};

// A uniformly random fraction in [0, 1) for Backoff::Next.
double RandomFraction();

// True for failures where the request may not have arrived or the server was briefly away
// (UNAVAILABLE, DEADLINE_EXCEEDED): a send retried with the same client message id is safe.
bool IsTransient(const absl::Status& status);

// What a chat does when its Connect stream ends with `code` and reason `reason`.
enum class StreamEndAction {
  kReconnect,            // back off, reconnect, then Sync what was missed
  kRefreshAndReconnect,  // the access token was refused: refresh it, reconnect at once
  kStop,                 // nothing to reconnect to (replaced by a newer stream, or signed out)
};

StreamEndAction ActionForStreamEnd(absl::StatusCode code, std::string_view reason);

// How a chat whose stream ended with `ended` (and kStop) reports it: a replaced stream and an
// ended session are explained for the person at the terminal; anything else speaks for itself.
absl::Status StopStatus(const absl::Status& ended);

}  // namespace plaza::cli
