#pragma once

// One device's plaza.gateway.v1.PushService/Connect stream, on gRPC's callback API (no thread
// per stream), for the scenarios that hold many of them (connect, chat). The stream reads until
// it ends and reports everything it reads, and how it ended, to a PushObserver.

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "plaza/gateway/v1/push_service.grpc.pb.h"

namespace plaza::bench {

// The gateway's hint is missing from a refused Connect: wait this long before retrying.
inline constexpr std::chrono::milliseconds kDefaultRetryAfter{1000};

class PushStream;

// Called from gRPC's callback threads; calls for one stream never overlap, calls for different
// streams may. Must outlive every stream it observes, until each stream's OnPushDone.
class PushObserver {
 public:
  virtual ~PushObserver() = default;
  // The stream's first `connected` message, read at `at`.
  virtual void OnPushConnected(PushStream& stream, std::chrono::steady_clock::time_point at) = 0;
  // An `event`, read at `at`.
  virtual void OnPushEvent(PushStream& stream, const plaza::events::v1::Event& event,
                           std::chrono::steady_clock::time_point at) = 0;
  // Anything else: a heartbeat, a resync, a repeated `connected`, or a kind this build does not
  // know (KIND_NOT_SET).
  virtual void OnPushOther(PushStream& stream,
                           plaza::gateway::v1::ConnectResponse::KindCase kind) = 0;
  // The stream ended with `status` (with its x-plaza-reason); `retry_after` is the gateway's
  // x-plaza-retry-after-ms hint, or kDefaultRetryAfter. The last call for this stream: the
  // stream must not be destroyed before it, and never calls the observer again after it.
  virtual void OnPushDone(PushStream& stream, const absl::Status& status,
                          std::chrono::milliseconds retry_after) = 0;
};

// One Connect attempt of one device; a retry is a new PushStream. Keep it alive until its
// OnPushDone (gRPC calls into it until then).
class PushStream final : public grpc::ClientReadReactor<plaza::gateway::v1::ConnectResponse> {
 public:
  // `device` is the caller's index for the device, handed back by device().
  PushStream(PushObserver& observer, size_t device) : observer_(observer), device_(device) {}

  // Opens the stream with `authorization` ("Bearer <access token>"): the gateway takes the
  // user and device from the token.
  void Start(plaza::gateway::v1::PushService::Stub& stub, const std::string& authorization);

  // Ends the stream from this side (it then ends with CANCELLED); safe at any time after Start.
  void Cancel() { context_.TryCancel(); }

  void OnReadDone(bool ok) override;
  void OnDone(const grpc::Status& status) override;

  size_t device() const { return device_; }
  // When Start was called.
  std::chrono::steady_clock::time_point started() const { return started_; }
  // Whether the `connected` message came. Read it from the observer's callbacks of this stream,
  // or after OnPushDone.
  bool connected() const { return connected_; }

 private:
  PushObserver& observer_;
  const size_t device_;
  grpc::ClientContext context_;
  plaza::gateway::v1::ConnectRequest request_;
  plaza::gateway::v1::ConnectResponse response_;
  std::chrono::steady_clock::time_point started_;
  bool connected_ = false;  // touched by this call's callbacks only, which gRPC serializes
};

}  // namespace plaza::bench
