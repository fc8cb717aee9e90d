#pragma once

// What every scenario's gRPC calls share: a deadline, and failures as absl::Status carrying the
// server's stable reason, so that reports name "RATE_LIMITED" rather than a bare code.

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace plaza::bench {

// No call may hang a run: each one gets this deadline.
inline constexpr std::chrono::seconds kCallTimeout{5};

// Sets the deadline of a call about to start.
void SetCallDeadline(grpc::ClientContext& context);

// OK for an OK status; otherwise the same code and message, with the `x-plaza-reason` trailing
// metadata (if any) as the reason (plaza::ReasonOf). Call after the call has finished.
absl::Status FromGrpc(const grpc::Status& status, const grpc::ClientContext& context);

// A plaintext channel to `target` (host:port), connected: UNAVAILABLE naming the target if it
// cannot connect within kCallTimeout.
absl::StatusOr<std::shared_ptr<grpc::Channel>> Connect(const std::string& target);

// Like Connect, but channel `index` gets its own TCP connection: gRPC shares one connection
// among channels with equal arguments, so each gets a distinct "plaza.bench.channel" argument.
// A server allows a bounded number of concurrent calls per connection (the gateway 100), so
// scenarios that hold many calls open, or must not be limited by one connection, use several.
absl::StatusOr<std::shared_ptr<grpc::Channel>> ConnectOwn(const std::string& target, int index);

// The server's `x-plaza-retry-after-ms` hint (the gateway sends it with RESOURCE_EXHAUSTED), or
// `fallback` if there is none or it is not a positive number. Call after the call has finished.
std::chrono::milliseconds RetryAfter(const grpc::ClientContext& context,
                                     std::chrono::milliseconds fallback);

// How reports name a failure: its code, then its reason if it has one, e.g.
// "RESOURCE_EXHAUSTED RATE_LIMITED" or "UNAVAILABLE".
std::string FailureKind(const absl::Status& status);

}  // namespace plaza::bench
