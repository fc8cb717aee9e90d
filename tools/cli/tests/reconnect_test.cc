#include "tools/cli/reconnect.h"

#include <catch2/catch.hpp>

#include "plaza/core/status.h"

using plaza::cli::ActionForStreamEnd;
using plaza::cli::Backoff;
using plaza::cli::StreamEndAction;
using std::chrono::milliseconds;

TEST_CASE("Backoff doubles up to its maximum, jittered within the upper half", "[cli][reconnect]") {
  Backoff backoff(milliseconds(1000), milliseconds(5000));
  CHECK(backoff.Next(0.0) == milliseconds(500));
  CHECK(backoff.Next(0.0) == milliseconds(1000));
  CHECK(backoff.Next(0.5) == milliseconds(3000));
  CHECK(backoff.Next(0.0) == milliseconds(2500));
  CHECK(backoff.Next(0.999) == milliseconds(4997));
  backoff.Reset();
  CHECK(backoff.Next(1.0 - 1e-9) == milliseconds(999));
}

TEST_CASE("Random fractions stay in [0, 1)", "[cli][reconnect]") {
  for (int i = 0; i < 1000; ++i) {
    double fraction = plaza::cli::RandomFraction();
    CHECK(fraction >= 0.0);
    CHECK(fraction < 1.0);
  }
}

TEST_CASE("Only failures that may not have reached the server are retried", "[cli][reconnect]") {
  CHECK(plaza::cli::IsTransient(absl::UnavailableError("x")));
  CHECK(plaza::cli::IsTransient(absl::DeadlineExceededError("x")));
  CHECK_FALSE(plaza::cli::IsTransient(absl::InvalidArgumentError("x")));
  CHECK_FALSE(plaza::cli::IsTransient(absl::ResourceExhaustedError("x")));
  CHECK_FALSE(plaza::cli::IsTransient(absl::OkStatus()));
}

TEST_CASE("A stream's end decides between reconnecting, refreshing and stopping",
          "[cli][reconnect]") {
  using absl::StatusCode;
  CHECK(ActionForStreamEnd(StatusCode::kAborted, "STREAM_REPLACED") == StreamEndAction::kStop);
  CHECK(ActionForStreamEnd(StatusCode::kUnauthenticated, "SESSION_REVOKED") ==
        StreamEndAction::kStop);
  CHECK(ActionForStreamEnd(StatusCode::kUnauthenticated, "TOKEN_EXPIRED") ==
        StreamEndAction::kRefreshAndReconnect);
  CHECK(ActionForStreamEnd(StatusCode::kUnauthenticated, "TOKEN_BAD_SIGNATURE") ==
        StreamEndAction::kRefreshAndReconnect);
  for (auto reason : {"RESYNC_REQUIRED", "GATEWAY_DRAINING", "PUSH_UNAVAILABLE", ""}) {
    CHECK(ActionForStreamEnd(StatusCode::kUnavailable, reason) == StreamEndAction::kReconnect);
  }
  CHECK(ActionForStreamEnd(StatusCode::kCancelled, "") == StreamEndAction::kReconnect);
  CHECK(ActionForStreamEnd(StatusCode::kOk, "") == StreamEndAction::kReconnect);
  CHECK(ActionForStreamEnd(StatusCode::kAborted, "") == StreamEndAction::kReconnect);
}

TEST_CASE("Stopping is explained, keeping code and reason", "[cli][reconnect]") {
  using plaza::cli::StopStatus;
  absl::Status revoked = StopStatus(plaza::Unauthenticated("SESSION_REVOKED", "revoked"));
  CHECK(revoked.code() == absl::StatusCode::kUnauthenticated);
  CHECK(plaza::ReasonOf(revoked) == "SESSION_REVOKED");
  CHECK(revoked.message() == "this session was ended; log in again");
  absl::Status replaced =
      StopStatus(plaza::Error(absl::StatusCode::kAborted, "STREAM_REPLACED", "x"));
  CHECK(std::string(replaced.message()).starts_with("this device connected again elsewhere"));
  absl::Status reused =
      plaza::Unauthenticated("REFRESH_TOKEN_REUSED", "this refresh token was already used");
  CHECK(StopStatus(reused) == reused);
}
