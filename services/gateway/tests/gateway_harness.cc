#include "services/gateway/tests/gateway_harness.h"

#include <stdexcept>

#include "plaza/events/wire.h"
#include "services/gateway/config.h"

namespace plaza::gateway::testing {
namespace {

template <typename T>
T Must(absl::StatusOr<T> value) {
  if (!value.ok()) throw std::runtime_error(value.status().ToString());
  return std::move(*value);
}

}  // namespace

GatewayHarness::GatewayHarness(HarnessOptions options)
    : keys_(auth::GenerateKeyPair("k1")), foreign_keys_(auth::GenerateKeyPair("k1")) {
  verifier_ = std::make_unique<auth::Verifier>(
      Must(auth::Verifier::Create(keys_.public_key, core::SystemClock::Instance())));
  redis_ = std::make_unique<redis::Pool>(
      redis::PoolOptions{.url = options.redis_url, .max_connections = 8});
  revocations_ = std::make_unique<rpc::SessionRevocations>(*redis_, std::chrono::hours(1));
  limiter_ = std::make_unique<RateLimiter>(
      RateLimitPolicy(Must(ParseRateLimitSpec(options.rate_limits))), clock_, 10'000);
  // Short windows so a test moves the level with a few samples.
  admission_ = std::make_unique<AdmissionControl>(
      clock_,
      AdmissionOptions{.window = std::chrono::milliseconds(100), .window_requests = 1'000'000});
  backends_ =
      std::make_unique<Backends>(Must(ParseRoutes(options.routes)), options.max_message_bytes);
  server_ = std::make_unique<rpc::Server>(
      rpc::ServerOptions{.service_name = "gateway",
                         .host = "127.0.0.1",
                         .metrics_port = -1,
                         .max_message_bytes = options.max_message_bytes,
                         .drain_timeout = std::chrono::milliseconds(500),
                         .max_concurrent_streams = options.max_concurrent_streams,
                         .metric_method_label = RouteLabel},
      verifier_.get(), revocations_.get());
  door_ = std::make_unique<Door>(*limiter_, *admission_, clock_, server_->metrics());
  proxy_ = std::make_unique<ProxyService>(*backends_, *door_, options.deadline_cap);
  server_->RegisterGeneric(proxy_.get());
  routes_ =
      std::make_unique<events::RouteRegistry>(*redis_, options.instance_id, options.route_ttl);
  push_ =
      std::make_unique<PushService>(*door_, *routes_, server_->metrics(),
                                    PushOptions{.heartbeat_interval = options.heartbeat_interval,
                                                .refresh_interval = options.route_ttl / 3,
                                                .queue_limit = options.push_queue_limit});
  subscriber_ = std::make_unique<redis::Subscriber>(redis::SubscriberOptions{
      .url = options.redis_url,
      .channels = {events::InstanceChannel(options.instance_id)},
      .on_message = [this](std::string_view,
                           std::string_view payload) { push_->HandleInstanceMessage(payload); },
      .on_subscribed = [this] { push_->HandleSubscribed(); }});
  push_->AttachSubscriber(subscriber_.get());
  server_->Register(push_.get());
  if (auto started = server_->Start(); !started.ok()) throw std::runtime_error(started.ToString());
  server_->SetServing(true);
}

GatewayHarness::~GatewayHarness() {
  push_->CloseAll();
  server_->Shutdown();
  subscriber_->Stop();
}

std::shared_ptr<grpc::Channel> GatewayHarness::NewChannel() const {
  grpc::ChannelArguments args;
  // A distinct argument keeps each channel on its own connection.
  static std::atomic<int> serial{0};
  args.SetInt("plaza.test.channel", ++serial);
  args.SetMaxReceiveMessageSize(64 << 20);
  return grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(port()),
                                   grpc::InsecureChannelCredentials(), args);
}

std::string GatewayHarness::Token(int64_t user_id, const std::string& device_id, int64_t session_id,
                                  std::chrono::seconds ttl) const {
  auto signer = Must(auth::Signer::Create(keys_.signing_key));
  auto now = std::chrono::system_clock::now();
  return signer.Sign({.user_id = user_id,
                      .device_id = device_id,
                      .session_id = session_id,
                      .issued_at = now,
                      .expires_at = now + ttl});
}

std::string GatewayHarness::ForeignToken(int64_t user_id) const {
  auto signer = Must(auth::Signer::Create(foreign_keys_.signing_key));
  auto now = std::chrono::system_clock::now();
  return signer.Sign({.user_id = user_id,
                      .device_id = "d",
                      .session_id = 1,
                      .issued_at = now,
                      .expires_at = now + std::chrono::minutes(5)});
}

}  // namespace plaza::gateway::testing
