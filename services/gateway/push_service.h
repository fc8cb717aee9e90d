#pragma once

// plaza.gateway.v1.PushService: one Connect stream per logged-in device.
//
// On Connect the gateway records the device's route in Redis (user, device → this instance and
// connection); a ticker refreshes every route well before its TTL and sends heartbeats on quiet
// streams; when the stream ends the route is released. Events published for a user arrive on
// this instance's Redis channel (libs/events) and are queued to each of the user's streams here,
// in publish order. Each stream has a bounded queue: a device that cannot keep up is closed with
// UNAVAILABLE / RESYNC_REQUIRED instead of buffering without limit, and reconnects and syncs.
// A second Connect of the same device replaces the first, on this instance or another.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "plaza/events/routes.h"
#include "plaza/events/wire.h"
#include "plaza/gateway/v1/push_service.grpc.pb.h"
#include "plaza/redis/subscriber.h"
#include "plaza/rpc/metrics.h"
#include "services/gateway/door.h"

namespace plaza::gateway {

struct PushOptions {
  std::chrono::milliseconds heartbeat_interval{30'000};
  // Routes are refreshed this often; keep it well under the routes' TTL.
  std::chrono::milliseconds refresh_interval{30'000};
  size_t queue_limit = 256;
};

class PushStream;

class PushService final : public plaza::gateway::v1::PushService::CallbackService {
 public:
  PushService(Door& door, events::RouteRegistry& routes, rpc::Metrics& metrics,
              PushOptions options);
  ~PushService() override;  // stops the ticker; streams must have ended (server shut down)

  grpc::ServerWriteReactor<plaza::gateway::v1::ConnectResponse>* Connect(
      grpc::CallbackServerContext* context,
      const plaza::gateway::v1::ConnectRequest* request) override;

  // A message on this instance's channel: a delivery or a replace.
  void HandleInstanceMessage(std::string_view payload);

  // The Redis subscription is (again) in place. Messages published while it was down are lost,
  // and Redis may have lost the routes, so every stream is told to resync and its route claimed
  // again.
  void HandleSubscribed();

  // Connect is refused unless this subscription to the instance's channel is up: without it no
  // event would arrive. Call once, before the server starts.
  void AttachSubscriber(const redis::Subscriber* subscriber) { subscriber_ = subscriber; }

  size_t open_streams() const;

  // Ends every stream with UNAVAILABLE / GATEWAY_DRAINING so devices reconnect (to another
  // instance) at once instead of holding the shutdown for the whole drain timeout.
  void CloseAll();

 private:
  friend class PushStream;

  void Add(const std::shared_ptr<PushStream>& stream);
  void Remove(const PushStream* stream);
  std::vector<std::shared_ptr<PushStream>> StreamsOf(int64_t user_id) const;
  std::vector<std::shared_ptr<PushStream>> AllStreams() const;
  void Deliver(const events::Delivery& delivery);
  void Tick();

  Door& door_;
  events::RouteRegistry& routes_;
  rpc::Metrics& metrics_;
  const PushOptions options_;
  const redis::Subscriber* subscriber_ = nullptr;
  std::atomic<uint64_t> next_connection_id_{1};

  mutable std::mutex streams_mutex_;
  std::unordered_map<int64_t, std::vector<std::shared_ptr<PushStream>>> streams_;
  size_t stream_count_ = 0;

  std::mutex ticker_mutex_;
  std::condition_variable ticker_wake_;
  bool stopping_ = false;
  std::chrono::steady_clock::time_point last_refresh_ =
      std::chrono::steady_clock::now();  // ticker only
  std::thread ticker_;
};

}  // namespace plaza::gateway
