#include "tools/bench/push_stream.h"

#include "tools/bench/client.h"

namespace plaza::bench {

using plaza::gateway::v1::ConnectResponse;

void PushStream::Start(plaza::gateway::v1::PushService::Stub& stub,
                       const std::string& authorization) {
  context_.AddMetadata("authorization", authorization);
  started_ = std::chrono::steady_clock::now();
  stub.async()->Connect(&context_, &request_, this);
  StartRead(&response_);
  StartCall();
}

void PushStream::OnReadDone(bool ok) {
  if (!ok) return;  // the stream is over; OnDone follows
  auto now = std::chrono::steady_clock::now();
  if (response_.has_connected() && !connected_) {
    connected_ = true;
    observer_.OnPushConnected(*this, now);
  } else if (response_.has_event()) {
    observer_.OnPushEvent(*this, response_.event(), now);
  } else {
    observer_.OnPushOther(*this, response_.kind_case());
  }
  StartRead(&response_);
}

void PushStream::OnDone(const grpc::Status& status) {
  observer_.OnPushDone(*this, FromGrpc(status, context_), RetryAfter(context_, kDefaultRetryAfter));
}

}  // namespace plaza::bench
