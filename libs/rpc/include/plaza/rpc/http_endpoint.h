#pragma once

// A minimal HTTP/1.0 server for operators and orchestrators: GET /metrics (Prometheus text) and
// GET /healthz (200 while serving, 503 otherwise). One background thread; requests are tiny and
// rare, so connections are handled one at a time with short timeouts.

#include <atomic>
#include <functional>
#include <string>
#include <thread>

#include "absl/status/status.h"

namespace plaza::rpc {

class HttpEndpoint {
 public:
  using MetricsSource = std::function<std::string()>;
  using HealthSource = std::function<bool()>;

  HttpEndpoint(MetricsSource metrics, HealthSource healthy);
  ~HttpEndpoint();
  HttpEndpoint(const HttpEndpoint&) = delete;
  HttpEndpoint& operator=(const HttpEndpoint&) = delete;

  // Binds host:port (port 0 picks a free one) and starts serving. UNAVAILABLE if it can't bind.
  absl::Status Start(const std::string& host, int port);
  int port() const { return port_; }
  void Stop();

 private:
  void Loop();
  void Serve(int client);

  MetricsSource metrics_;
  HealthSource healthy_;
  int listener_ = -1;
  int wake_[2] = {-1, -1};
  int port_ = 0;
  std::thread thread_;
};

}  // namespace plaza::rpc
