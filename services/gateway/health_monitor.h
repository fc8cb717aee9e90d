#pragma once

// Publishes whether each route has a healthy backend: grpc.health.v1 under the route's name
// ("messaging") and the gauge plaza_gateway_backend_up{route}. The gateway's own health (the
// empty service name) stays SERVING while one route is down, so a failing service does not take
// every gateway out of its load balancer.

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "plaza/rpc/server.h"
#include "services/gateway/backends.h"

namespace plaza::gateway {

class HealthMonitor {
 public:
  HealthMonitor(Backends& backends, rpc::Server& server, std::chrono::milliseconds period);
  ~HealthMonitor();

 private:
  void Run();

  Backends& backends_;
  rpc::Server& server_;
  const std::chrono::milliseconds period_;
  std::mutex mutex_;
  std::condition_variable stop_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace plaza::gateway
