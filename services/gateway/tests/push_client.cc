#include "services/gateway/tests/push_client.h"

namespace plaza::gateway::testing {

PushClient::PushClient(std::shared_ptr<grpc::Channel> channel, const std::string& access_token)
    : channel_(std::move(channel)), stub_(plaza::gateway::v1::PushService::NewStub(channel_)) {
  context_.AddMetadata("authorization", "Bearer " + access_token);
  reader_ = stub_->Connect(&context_, plaza::gateway::v1::ConnectRequest());
  thread_ = std::thread([this] {
    Message message;
    while (reader_->Read(&message)) {
      std::lock_guard lock(mutex_);
      messages_.push_back(message);
      changed_.notify_all();
    }
    grpc::Status status = reader_->Finish();
    std::lock_guard lock(mutex_);
    status_ = status;
    ended_ = true;
    changed_.notify_all();
  });
}

PushClient::~PushClient() {
  context_.TryCancel();
  thread_.join();
}

std::optional<PushClient::Message> PushClient::Next(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, timeout, [this] { return !messages_.empty() || ended_; });
  if (messages_.empty()) return std::nullopt;
  auto message = messages_.front();
  messages_.pop_front();
  return message;
}

std::optional<PushClient::Message> PushClient::NextEvent(std::chrono::milliseconds timeout) {
  for (;;) {
    auto message = Next(timeout);
    if (!message || !message->has_heartbeat()) return message;
  }
}

bool PushClient::Connected() {
  auto first = Next();
  return first && first->has_connected();
}

std::optional<grpc::Status> PushClient::Ended(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, timeout, [this] { return ended_; });
  if (!ended_) return std::nullopt;
  return status_;
}

std::string PushClient::Reason() {
  const auto& trailers = context_.GetServerTrailingMetadata();
  auto it = trailers.find("x-plaza-reason");
  return it == trailers.end() ? "" : std::string(it->second.data(), it->second.size());
}

}  // namespace plaza::gateway::testing
