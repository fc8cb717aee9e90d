#pragma once

// The gateway assembled in-process from its real parts (door, proxy, push) against a real Redis,
// with a fake clock for rate limits and overload control so tests decide when time passes and
// how loaded the gateway looks.

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "plaza/auth/token.h"
#include "plaza/core/clock.h"
#include "plaza/events/routes.h"
#include "plaza/redis/redis.h"
#include "plaza/redis/subscriber.h"
#include "plaza/rpc/revocation.h"
#include "plaza/rpc/server.h"
#include "services/gateway/admission.h"
#include "services/gateway/backends.h"
#include "services/gateway/door.h"
#include "services/gateway/proxy.h"
#include "services/gateway/push_service.h"
#include "services/gateway/rate_limit.h"

namespace plaza::gateway::testing {

struct HarnessOptions {
  std::string routes;
  std::string redis_url;
  std::string rate_limits = "default:user=1000/1000,ip=1000/1000 public:ip=1000/1000";
  std::chrono::milliseconds deadline_cap{5000};
  int max_message_bytes = 1 << 20;
  int max_concurrent_streams = 100;
  std::string instance_id = "gw-test";
  std::chrono::milliseconds route_ttl{30'000};
  std::chrono::milliseconds heartbeat_interval{30'000};
  size_t push_queue_limit = 256;
};

class GatewayHarness {
 public:
  explicit GatewayHarness(HarnessOptions options);
  ~GatewayHarness();

  // A new connection to the gateway.
  std::shared_ptr<grpc::Channel> NewChannel() const;
  int port() const { return server_->grpc_port(); }

  // An access token for the harness's key, valid for `ttl`.
  std::string Token(int64_t user_id, const std::string& device_id, int64_t session_id,
                    std::chrono::seconds ttl = std::chrono::minutes(15)) const;
  // A token signed by a key the gateway does not know.
  std::string ForeignToken(int64_t user_id) const;

  core::FakeClock& clock() { return clock_; }
  AdmissionControl& admission() { return *admission_; }
  rpc::SessionRevocations& revocations() { return *revocations_; }
  rpc::Server& server() { return *server_; }
  Backends& backends() { return *backends_; }
  PushService& push() { return *push_; }
  redis::Pool& redis() { return *redis_; }
  // Waits until the push subscription is up (Connect is refused before).
  bool WaitSubscribed(std::chrono::milliseconds timeout) {
    return subscriber_->WaitSubscribed(timeout);
  }

 private:
  auth::KeyPair keys_;
  auth::KeyPair foreign_keys_;
  core::FakeClock clock_{std::chrono::system_clock::now()};
  std::unique_ptr<auth::Verifier> verifier_;
  std::unique_ptr<redis::Pool> redis_;
  std::unique_ptr<rpc::SessionRevocations> revocations_;
  std::unique_ptr<RateLimiter> limiter_;
  std::unique_ptr<AdmissionControl> admission_;
  std::unique_ptr<Backends> backends_;
  std::unique_ptr<rpc::Server> server_;
  std::unique_ptr<Door> door_;
  std::unique_ptr<ProxyService> proxy_;
  std::unique_ptr<events::RouteRegistry> routes_;
  std::unique_ptr<PushService> push_;
  std::unique_ptr<redis::Subscriber> subscriber_;
};

}  // namespace plaza::gateway::testing
