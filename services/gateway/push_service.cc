#include "services/gateway/push_service.h"

#include <spdlog/spdlog.h>

#include <list>

#include "plaza/core/logging.h"
#include "plaza/events/wire.h"
#include "plaza/rpc/call.h"
#include "services/gateway/method_policy.h"

namespace plaza::gateway {

using plaza::gateway::v1::ConnectResponse;
using Message = std::shared_ptr<const ConnectResponse>;

namespace {

Message Heartbeat() {
  static const Message message = [] {
    auto response = std::make_shared<ConnectResponse>();
    response->mutable_heartbeat();
    return response;
  }();
  return message;
}

Message ResyncMessage() {
  static const Message message = [] {
    auto response = std::make_shared<ConnectResponse>();
    response->mutable_resync();
    return response;
  }();
  return message;
}

grpc::Status Refusal(grpc::StatusCode code, std::string_view reason, std::string message,
                     grpc::CallbackServerContext* context) {
  context->AddTrailingMetadata(std::string(rpc::kReasonKey), std::string(reason));
  return grpc::Status(code, std::move(message));
}

}  // namespace

// One device's stream. Owned by itself (`self_`) until gRPC says it is done, and shared with
// the service's index so deliveries never touch a deleted stream; after Close() nothing more is
// written.
class PushStream final : public grpc::ServerWriteReactor<ConnectResponse>,
                         public std::enable_shared_from_this<PushStream> {
 public:
  PushStream(PushService& service, grpc::CallbackServerContext* context, rpc::Caller caller,
             uint64_t connection_id)
      : service_(service),
        context_(context),
        caller_(std::move(caller)),
        connection_id_(connection_id) {}

  // Registers the stream; the first message says so. False (and the stream closed) if the route
  // cannot be recorded.
  void Open() {
    self_ = shared_from_this();
    auto connected = std::make_shared<ConnectResponse>();
    connected->mutable_connected()->set_gateway_instance(service_.routes_.instance_id());
    connected->mutable_connected()->set_heartbeat_interval_seconds(static_cast<int32_t>(
        std::chrono::duration_cast<std::chrono::seconds>(service_.options_.heartbeat_interval)
            .count()));
    Send(connected);
    // Indexed before the route exists, so no event published after the claim is missed.
    service_.Add(self_);
    auto previous = service_.routes_.Claim(caller_.user_id, caller_.device_id, connection_id_);
    if (!previous.ok()) {
      spdlog::warn("push route not recorded: {}", previous.status().ToString());
      Close(grpc::StatusCode::UNAVAILABLE, "PUSH_UNAVAILABLE", "push is unavailable; retry",
            /*release_route=*/false);
      return;
    }
    if (*previous && (*previous)->instance_id == service_.routes_.instance_id()) {
      for (const auto& other : service_.StreamsOf(caller_.user_id)) {
        if (other->connection_id_ == (*previous)->connection_id) other->Replaced();
      }
    }
  }

  // Queues `message`; a device already `queue_limit` messages behind is closed with a resync
  // instead.
  void Send(Message message) {
    std::lock_guard lock(mutex_);
    if (closed_) return;
    if (queue_.size() >= service_.options_.queue_limit) {
      service_.metrics_.Add("plaza_gateway_events_dropped_total",
                            rpc::Metrics::Labels({{"reason", "slow_consumer"}}),
                            static_cast<double>(queue_.size()));
      CloseLocked(grpc::StatusCode::UNAVAILABLE, "RESYNC_REQUIRED",
                  "the device fell behind; reconnect and sync");
      return;
    }
    queue_.push_back(std::move(message));
    if (!writing_) WriteNextLocked();
  }

  void Replaced() {
    Close(grpc::StatusCode::ABORTED, "STREAM_REPLACED", "the device connected again",
          /*release_route=*/false);
  }

  // Ends the stream with `code` and, if not empty, `reason` in x-plaza-reason. The route is
  // released unless another connection already holds it.
  void Close(grpc::StatusCode code, std::string_view reason, std::string message,
             bool release_route = true) {
    std::lock_guard lock(mutex_);
    if (closed_) return;
    release_route_ = release_route;
    CloseLocked(code, reason, std::move(message));
  }

  // Once a second: a heartbeat if nothing was written for the interval. A write stuck for two
  // intervals means a device that stopped reading (or vanished without closing the
  // connection): its stream is closed, and if even the closing status cannot get out for two
  // more, the call is cancelled so the stream's memory is freed.
  void Tick(std::chrono::steady_clock::time_point now) {
    const auto patience = 2 * service_.options_.heartbeat_interval;
    {
      std::lock_guard lock(mutex_);
      if (closed_) {
        if (!finished_ && now - closed_at_ > patience) context_->TryCancel();
        return;
      }
      if (writing_) {
        if (now - write_started_ > patience) {
          CloseLocked(grpc::StatusCode::UNAVAILABLE, "RESYNC_REQUIRED",
                      "the device stopped reading");
        }
        return;
      }
      if (now - last_write_ < service_.options_.heartbeat_interval) return;
    }
    Send(Heartbeat());
  }

  void OnWriteDone(bool ok) override {
    std::lock_guard lock(mutex_);
    in_flight_.reset();
    writing_ = false;
    last_write_ = std::chrono::steady_clock::now();
    if (!ok) {
      // The client is gone (or the call was cancelled); OnDone follows the Finish.
      CloseLocked(grpc::StatusCode::CANCELLED, "", "cancelled");
    } else if (!queue_.empty() && !closed_) {
      WriteNextLocked();
    }
    MaybeFinishLocked();
  }

  void OnCancel() override { Close(grpc::StatusCode::CANCELLED, "", "cancelled"); }

  void OnDone() override {
    service_.Remove(this);
    if (release_route_) {
      if (auto released =
              service_.routes_.Release(caller_.user_id, caller_.device_id, connection_id_);
          !released.ok()) {
        // The route expires on its own.
        spdlog::warn("push route not released: {}", released.ToString());
      }
    }
    self_.reset();  // last: may delete this
  }

  const rpc::Caller& caller() const { return caller_; }
  uint64_t connection_id() const { return connection_id_; }

 private:
  void WriteNextLocked() {
    in_flight_ = std::move(queue_.front());
    queue_.pop_front();
    writing_ = true;
    write_started_ = std::chrono::steady_clock::now();
    if (in_flight_->has_event()) {
      service_.metrics_.Add("plaza_gateway_events_delivered_total", "");
    }
    StartWrite(in_flight_.get());
  }

  // Nothing is queued after this; the status goes out once the write in flight (if any) is done,
  // so a client that reads on sees the events before the reason the stream ended.
  void CloseLocked(grpc::StatusCode code, std::string_view reason, std::string message) {
    if (closed_) return;
    closed_ = true;
    closed_at_ = std::chrono::steady_clock::now();
    queue_.clear();
    if (!reason.empty())
      context_->AddTrailingMetadata(std::string(rpc::kReasonKey), std::string(reason));
    status_ = grpc::Status(code, std::move(message));
    MaybeFinishLocked();
  }

  // Every call is finished exactly once, and never with a write in flight.
  void MaybeFinishLocked() {
    if (!closed_ || finished_ || writing_) return;
    finished_ = true;
    Finish(status_);
  }

  PushService& service_;
  grpc::CallbackServerContext* context_;
  const rpc::Caller caller_;
  const uint64_t connection_id_;
  std::shared_ptr<PushStream> self_;

  std::mutex mutex_;
  std::list<Message> queue_;  // usually empty; a deque would hold half a KiB per idle stream
  Message in_flight_;
  bool writing_ = false;
  bool closed_ = false;
  bool finished_ = false;
  bool release_route_ = true;
  grpc::Status status_;
  std::chrono::steady_clock::time_point last_write_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point write_started_;
  std::chrono::steady_clock::time_point closed_at_;
};

PushService::PushService(Door& door, events::RouteRegistry& routes, rpc::Metrics& metrics,
                         PushOptions options)
    : door_(door), routes_(routes), metrics_(metrics), options_(options) {
  metrics_.Declare("plaza_gateway_open_streams", rpc::Metrics::Kind::kGauge,
                   "Connect streams open now.");
  metrics_.Declare("plaza_gateway_events_delivered_total", rpc::Metrics::Kind::kCounter,
                   "Events written to devices' Connect streams.");
  metrics_.Declare("plaza_gateway_events_dropped_total", rpc::Metrics::Kind::kCounter,
                   "Events not written, by reason (slow_consumer: the device's queue was full and "
                   "its stream was closed with a resync).");
  metrics_.Declare("plaza_gateway_resyncs_total", rpc::Metrics::Kind::kCounter,
                   "Resync messages sent because events may have been lost while Redis was away.");
  ticker_ = std::thread([this] {
    std::unique_lock lock(ticker_mutex_);
    while (!stopping_) {
      ticker_wake_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_; });
      if (stopping_) break;
      lock.unlock();
      Tick();
      lock.lock();
    }
  });
}

PushService::~PushService() {
  {
    std::lock_guard lock(ticker_mutex_);
    stopping_ = true;
  }
  ticker_wake_.notify_all();
  ticker_.join();
}

grpc::ServerWriteReactor<ConnectResponse>* PushService::Connect(
    grpc::CallbackServerContext* context, const plaza::gateway::v1::ConnectRequest*) {
  core::RequestIdScope scope(rpc::RequestIdOf(*context));
  class Refused final : public grpc::ServerWriteReactor<ConnectResponse> {
   public:
    explicit Refused(grpc::Status status) { Finish(std::move(status)); }
    void OnDone() override { delete this; }
  };
  static const MethodPolicy policy = *PolicyFor(kConnectMethod);
  std::optional<rpc::Caller> caller;
  if (grpc::Status admitted = door_.Admit(policy, context, &caller); !admitted.ok()) {
    return new Refused(admitted);
  }
  if (subscriber_ == nullptr || !subscriber_->subscribed()) {
    return new Refused(Refusal(grpc::StatusCode::UNAVAILABLE, "PUSH_UNAVAILABLE",
                               "push is unavailable; retry", context));
  }
  auto stream = std::make_shared<PushStream>(*this, context, *caller, next_connection_id_++);
  stream->Open();
  return stream.get();
}

void PushService::Add(const std::shared_ptr<PushStream>& stream) {
  std::lock_guard lock(streams_mutex_);
  streams_[stream->caller().user_id].push_back(stream);
  metrics_.Set("plaza_gateway_open_streams", "", static_cast<double>(++stream_count_));
}

void PushService::Remove(const PushStream* stream) {
  std::lock_guard lock(streams_mutex_);
  auto it = streams_.find(stream->caller().user_id);
  if (it == streams_.end()) return;
  auto& list = it->second;
  auto removed = std::erase_if(list, [&](const auto& entry) { return entry.get() == stream; });
  if (list.empty()) streams_.erase(it);
  stream_count_ -= removed;
  metrics_.Set("plaza_gateway_open_streams", "", static_cast<double>(stream_count_));
}

size_t PushService::open_streams() const {
  std::lock_guard lock(streams_mutex_);
  return stream_count_;
}

std::vector<std::shared_ptr<PushStream>> PushService::StreamsOf(int64_t user_id) const {
  std::lock_guard lock(streams_mutex_);
  auto it = streams_.find(user_id);
  return it == streams_.end() ? std::vector<std::shared_ptr<PushStream>>{} : it->second;
}

std::vector<std::shared_ptr<PushStream>> PushService::AllStreams() const {
  std::lock_guard lock(streams_mutex_);
  std::vector<std::shared_ptr<PushStream>> all;
  all.reserve(stream_count_);
  for (const auto& [user, list] : streams_) all.insert(all.end(), list.begin(), list.end());
  return all;
}

void PushService::CloseAll() {
  for (const auto& stream : AllStreams()) {
    stream->Close(grpc::StatusCode::UNAVAILABLE, "GATEWAY_DRAINING",
                  "this gateway is shutting down; reconnect");
  }
}

void PushService::HandleInstanceMessage(std::string_view payload) {
  auto message = events::DecodeInstanceMessage(payload);
  if (!message.ok()) {
    spdlog::warn("ignoring a malformed instance message: {}", message.status().ToString());
    return;
  }
  if (auto* delivery = std::get_if<events::Delivery>(&*message)) {
    Deliver(*delivery);
    return;
  }
  const auto& replace = std::get<events::Replace>(*message);
  for (const auto& stream : StreamsOf(replace.user_id)) {
    if (stream->connection_id() == replace.connection_id) stream->Replaced();
  }
}

void PushService::Deliver(const events::Delivery& delivery) {
  auto response = std::make_shared<ConnectResponse>();
  if (!response->mutable_event()->ParseFromString(delivery.event)) {
    spdlog::warn("ignoring an event that does not parse");
    return;
  }
  // A revoked session's stream gets the event, then ends: the device must sign in again.
  int64_t revoked_session = response->event().has_session_revoked()
                                ? response->event().session_revoked().session_id()
                                : 0;
  Message message = std::move(response);
  for (int64_t user_id : delivery.recipients) {
    for (const auto& stream : StreamsOf(user_id)) {
      const auto& caller = stream->caller();
      if (delivery.exclude && delivery.exclude->user_id == user_id &&
          delivery.exclude->device_id == caller.device_id) {
        continue;
      }
      stream->Send(message);
      if (revoked_session != 0 && caller.session_id == revoked_session) {
        stream->Close(grpc::StatusCode::UNAUTHENTICATED, "SESSION_REVOKED",
                      "the session was ended");
      }
    }
  }
}

void PushService::HandleSubscribed() {
  auto streams = AllStreams();
  for (const auto& stream : streams) {
    const auto& caller = stream->caller();
    auto previous = routes_.Claim(caller.user_id, caller.device_id, stream->connection_id());
    if (!previous.ok() || *previous) {
      // Redis is away again, or the device connected elsewhere meanwhile: it reconnects.
      stream->Close(grpc::StatusCode::UNAVAILABLE, "RESYNC_REQUIRED", "reconnect and sync",
                    /*release_route=*/false);
      continue;
    }
    stream->Send(ResyncMessage());
  }
  if (!streams.empty())
    metrics_.Add("plaza_gateway_resyncs_total", "", static_cast<double>(streams.size()));
}

void PushService::Tick() {
  auto streams = AllStreams();
  auto now = std::chrono::steady_clock::now();
  for (const auto& stream : streams) stream->Tick(now);

  if (now - last_refresh_ < options_.refresh_interval || streams.empty()) return;
  last_refresh_ = now;
  std::vector<events::DeviceRoute> held;
  held.reserve(streams.size());
  for (const auto& stream : streams) {
    held.push_back({stream->caller().user_id, stream->caller().device_id, routes_.instance_id(),
                    stream->connection_id()});
  }
  auto lost = routes_.Refresh(held);
  if (!lost.ok()) {
    spdlog::warn("push routes not refreshed: {}", lost.status().ToString());
    return;
  }
  // Held by another connection or by nobody: events no longer reach these streams.
  for (const auto& route : *lost) {
    for (const auto& stream : StreamsOf(route.user_id)) {
      if (stream->connection_id() == route.connection_id) {
        stream->Close(grpc::StatusCode::UNAVAILABLE, "RESYNC_REQUIRED", "reconnect and sync",
                      /*release_route=*/false);
      }
    }
  }
}

}  // namespace plaza::gateway
