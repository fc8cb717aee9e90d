#include "services/gateway/health_monitor.h"

namespace plaza::gateway {

HealthMonitor::HealthMonitor(Backends& backends, rpc::Server& server,
                             std::chrono::milliseconds period)
    : backends_(backends), server_(server), period_(period) {
  server_.metrics().Declare("plaza_gateway_backend_up", rpc::Metrics::Kind::kGauge,
                            "1 if the route has a healthy backend, else 0.");
  thread_ = std::thread([this] { Run(); });
}

HealthMonitor::~HealthMonitor() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  stop_.notify_all();
  thread_.join();
}

void HealthMonitor::Run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    for (const auto& [route, healthy] : backends_.Health()) {
      server_.SetServing(route, healthy);
      server_.metrics().Set("plaza_gateway_backend_up", rpc::Metrics::Labels({{"route", route}}),
                            healthy ? 1 : 0);
    }
    stop_.wait_for(lock, period_, [this] { return stopping_; });
  }
}

}  // namespace plaza::gateway
