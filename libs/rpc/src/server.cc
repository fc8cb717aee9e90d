#include "plaza/rpc/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "plaza/core/status.h"
#include "plaza/rpc/interceptors.h"

namespace plaza::rpc {

Server::Server(ServerOptions options, const auth::Verifier* verifier,
               SessionRevocations* revocations)
    : options_(std::move(options)), verifier_(verifier), revocations_(revocations) {}

Server::~Server() { Shutdown(); }

void Server::Register(grpc::Service* service) { services_.push_back(service); }

void Server::RegisterGeneric(grpc::CallbackGenericService* service) { generic_service_ = service; }

absl::Status Server::Start() {
  // gRPC locks absl mutexes on every call; absl's lock-order graph, on by default, costs a few
  // percent of a busy server's CPU and only ever aborts the process.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options_.host + ":" + std::to_string(options_.grpc_port),
                           grpc::InsecureServerCredentials(), &grpc_port_);
  builder.SetMaxReceiveMessageSize(options_.max_message_bytes);
  builder.SetMaxSendMessageSize(options_.max_message_bytes);
  // Peers ping to find dead connections (the gateway's backend channels every 20 s); gRPC's
  // default policy allows one ping in 5 minutes and closes the connection with too_many_pings,
  // failing the calls on it.
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 10'000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  if (options_.max_concurrent_streams > 0) {
    builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, options_.max_concurrent_streams);
  }
  for (auto* service : services_) builder.RegisterService(service);
  if (generic_service_ != nullptr) builder.RegisterCallbackGenericService(generic_service_);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(MakeObservabilityInterceptor(metrics_, options_.trust_client_ip_header,
                                                      options_.metric_method_label));
  if (verifier_ != nullptr) {
    interceptors.push_back(MakeAuthInterceptor(*verifier_, revocations_, metrics_));
  }
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  server_ = builder.BuildAndStart();
  if (!server_ || grpc_port_ == 0) {
    return Unavailable("GRPC_BIND_FAILED", "cannot listen on " + options_.host + ":" +
                                               std::to_string(options_.grpc_port));
  }
  SetServing(false);
  if (options_.metrics_port >= 0) {
    http_ = std::make_unique<HttpEndpoint>([this] { return metrics_.Render(); },
                                           [this] { return serving_.load(); });
    std::string http_host =
        options_.host == "0.0.0.0" || options_.host.empty() ? "0.0.0.0" : options_.host;
    PLAZA_RETURN_IF_ERROR(http_->Start(http_host, options_.metrics_port));
  }
  spdlog::info("{} listening: grpc={}:{} metrics={}", options_.service_name, options_.host,
               grpc_port_, metrics_port());
  return absl::OkStatus();
}

void Server::SetServing(bool serving) {
  serving_ = serving;
  if (server_) server_->GetHealthCheckService()->SetServingStatus(serving);
}

void Server::SetServing(const std::string& health_name, bool serving) {
  if (server_) server_->GetHealthCheckService()->SetServingStatus(health_name, serving);
}

void Server::Shutdown() {
  if (!server_) return;
  SetServing(false);
  spdlog::info("draining for up to {} ms", options_.drain_timeout.count());
  server_->Shutdown(std::chrono::system_clock::now() + options_.drain_timeout);
  server_->Wait();
  server_.reset();
  if (http_) http_->Stop();
}

void BlockTerminationSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
}

int WaitForTerminationSignal() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  int received = 0;
  sigwait(&signals, &received);
  return received;
}

int ServeUntilTerminated(Server& server, std::string_view name,
                         const std::function<bool(const std::atomic<bool>& stopping)>& prepare) {
  if (auto started = server.Start(); !started.ok()) {
    spdlog::critical("{}", started.ToString());
    return 2;
  }
  std::atomic<bool> stopping{false};
  std::thread readiness([&] {
    if (!prepare(stopping)) return;
    server.SetServing(true);
    spdlog::info("{} is serving", name);
  });
  int signal = WaitForTerminationSignal();
  spdlog::info("signal {}: shutting down", signal);
  stopping = true;
  readiness.join();
  server.Shutdown();
  return 0;
}

}  // namespace plaza::rpc
