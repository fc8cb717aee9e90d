#pragma once

// Server bootstrap shared by every service: gRPC server with grpc.health.v1 (NOT_SERVING until
// the service says it is ready), server reflection, the observability and auth interceptors, and
// the HTTP endpoint for /metrics and /healthz. Shutdown drains in-flight calls.

#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/grpcpp.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "plaza/auth/token.h"
#include "plaza/rpc/http_endpoint.h"
#include "plaza/rpc/metrics.h"
#include "plaza/rpc/revocation.h"

namespace plaza::rpc {

struct ServerOptions {
  std::string service_name;
  std::string host = "0.0.0.0";
  int grpc_port = 0;     // 0 picks a free port (tests)
  int metrics_port = 0;  // 0 picks a free port; -1 disables the HTTP endpoint
  int max_message_bytes = 4 << 20;
  std::chrono::milliseconds drain_timeout{10'000};
  // Believe `x-plaza-client-ip` (set by the gateway) for per-IP limits. Only where nothing but
  // the gateway can reach the service; otherwise any caller could pick its own IP.
  bool trust_client_ip_header = false;
  // Concurrent calls one client connection may have open; 0 leaves gRPC's default.
  int max_concurrent_streams = 0;
  // Turns a method path into the `method` label of request metrics. A server that accepts any
  // path (the gateway's proxy) must map it to a bounded set, or clients could grow the metrics
  // without limit. Empty: the path itself.
  std::function<std::string(std::string_view)> metric_method_label;
};

class Server {
 public:
  // `verifier` and `revocations` may be null: a service without authenticated methods.
  Server(ServerOptions options, const auth::Verifier* verifier, SessionRevocations* revocations);
  ~Server();

  // Services must outlive the server. Call before Start().
  void Register(grpc::Service* service);
  // Serves every method no registered service has. Call before Start().
  void RegisterGeneric(grpc::CallbackGenericService* service);

  // Starts listening, reporting NOT_SERVING. UNAVAILABLE if a port cannot be bound.
  absl::Status Start();

  // Reports SERVING or NOT_SERVING through grpc.health.v1 and /healthz.
  void SetServing(bool serving);
  // Health of one named part (grpc.health.v1 service name), e.g. a route behind the gateway.
  void SetServing(const std::string& health_name, bool serving);
  bool serving() const { return serving_; }

  // NOT_SERVING, then stops accepting calls and waits up to the drain timeout for running ones.
  void Shutdown();

  int grpc_port() const { return grpc_port_; }
  int metrics_port() const { return http_ ? http_->port() : -1; }
  Metrics& metrics() { return metrics_; }

 private:
  ServerOptions options_;
  const auth::Verifier* verifier_;
  SessionRevocations* revocations_;
  Metrics metrics_;
  std::vector<grpc::Service*> services_;
  grpc::CallbackGenericService* generic_service_ = nullptr;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<HttpEndpoint> http_;
  std::atomic<bool> serving_{false};
  int grpc_port_ = 0;
};

// Blocks SIGTERM and SIGINT in the calling thread and every thread it starts afterwards; call
// first thing in main() so WaitForTerminationSignal() can receive them.
void BlockTerminationSignals();

// Waits for SIGTERM or SIGINT; returns the signal number.
int WaitForTerminationSignal();

// What a service's main() does once its server is built and its services registered: starts the
// server (exit code 2 if it cannot), runs `prepare` on its own thread (migrations, waiting for
// dependencies; it returns false when `stopping` interrupted it) and then reports SERVING, waits
// for SIGTERM or SIGINT, and stops: `prepare` first, then the server, draining calls in flight.
// Returns the process's exit code; the caller then stops what it started and closes its pools.
int ServeUntilTerminated(Server& server, std::string_view name,
                         const std::function<bool(const std::atomic<bool>& stopping)>& prepare);

// For main(): the value, or the error logged (naming `what`) and exit code 2, as for a bad
// setting.
template <typename T>
T OrExit(absl::StatusOr<T> value, std::string_view what) {
  if (!value.ok()) {
    spdlog::critical("{}: {}", what, value.status().ToString());
    std::exit(2);
  }
  return std::move(*value);
}

}  // namespace plaza::rpc
