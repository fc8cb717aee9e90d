#include "tools/cli/reconnect.h"

#include <algorithm>
#include <random>

#include "plaza/core/status.h"

namespace plaza::cli {

std::chrono::milliseconds Backoff::Next(double random_fraction) {
  auto ceiling = ceiling_;
  ceiling_ = std::min(ceiling_ * 2, max_);
  auto half = ceiling / 2;
  return half + std::chrono::milliseconds(static_cast<int64_t>(
                    static_cast<double>((ceiling - half).count()) * random_fraction));
}

double RandomFraction() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
}

bool IsTransient(const absl::Status& status) {
  return status.code() == absl::StatusCode::kUnavailable ||
         status.code() == absl::StatusCode::kDeadlineExceeded;
}

StreamEndAction ActionForStreamEnd(absl::StatusCode code, std::string_view reason) {
  if (code == absl::StatusCode::kAborted && reason == "STREAM_REPLACED") {
    return StreamEndAction::kStop;
  }
  if (code == absl::StatusCode::kUnauthenticated) {
    return reason.starts_with("TOKEN_") ? StreamEndAction::kRefreshAndReconnect
                                        : StreamEndAction::kStop;
  }
  return StreamEndAction::kReconnect;
}

absl::Status StopStatus(const absl::Status& ended) {
  std::string reason = ReasonOf(ended);
  if (ended.code() == absl::StatusCode::kAborted && reason == "STREAM_REPLACED") {
    return Error(ended.code(), reason,
                 "this device connected again elsewhere (another `plaza chat` with the same "
                 "config?); this one stops");
  }
  if (reason == "SESSION_REVOKED") {
    return Error(ended.code(), reason, "this session was ended; log in again");
  }
  return ended;
}

}  // namespace plaza::cli
