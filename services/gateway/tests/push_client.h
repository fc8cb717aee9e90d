#pragma once

// A device holding a Connect stream, the way a client app does: reads on its own thread so a
// test can wait for the next message, the end of the stream and its reason.

#include <grpcpp/grpcpp.h>

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "plaza/gateway/v1/push_service.grpc.pb.h"

namespace plaza::gateway::testing {

class PushClient {
 public:
  using Message = plaza::gateway::v1::ConnectResponse;

  PushClient(std::shared_ptr<grpc::Channel> channel, const std::string& access_token);
  ~PushClient();  // cancels the stream

  // The next message, or nullopt after `timeout` or once the stream ended with nothing left.
  std::optional<Message> Next(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // The next message that is not a heartbeat.
  std::optional<Message> NextEvent(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // Waits for the first message; true if it is `connected`.
  bool Connected();
  // The stream's final status once it ended, waiting up to `timeout`.
  std::optional<grpc::Status> Ended(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // x-plaza-reason of the ended stream.
  std::string Reason();

 private:
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<plaza::gateway::v1::PushService::Stub> stub_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReader<Message>> reader_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Message> messages_;
  bool ended_ = false;
  grpc::Status status_;
  std::thread thread_;
};

}  // namespace plaza::gateway::testing
