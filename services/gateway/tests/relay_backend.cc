// A backend for the gateway's proxy tests, run as its own process so a test can kill it:
//   plaza_relay_backend <port> <name>
// Serves plaza.relay.v1.RelayService, grpc.health.v1 (SERVING) and, for any other method, an
// echo of the request bytes, so tests can call paths like the identity allow-list.

#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <string>
#include <thread>

#include "plaza/relay/v1/relay_service.grpc.pb.h"

namespace {

using plaza::relay::v1::RelayRequest;
using plaza::relay::v1::RelayResponse;

std::atomic<int> cancelled_calls{0};

class Relay final : public plaza::relay::v1::RelayService::Service {
 public:
  explicit Relay(std::string name) : name_(std::move(name)) {}

  grpc::Status Unary(grpc::ServerContext* context, const RelayRequest* request,
                     RelayResponse* response) override {
    if (!Hold(context, *request)) return Cancelled();
    Describe(*context, *request, 1, response);
    return Outcome(context, *request);
  }

  grpc::Status ServerStream(grpc::ServerContext* context, const RelayRequest* request,
                            grpc::ServerWriter<RelayResponse>* writer) override {
    if (!Hold(context, *request)) return Cancelled();
    for (int i = 0; i < request->repeat(); ++i) {
      RelayResponse response;
      Describe(*context, *request, 1, &response);
      response.set_text(request->text() + "#" + std::to_string(i));
      if (!writer->Write(response)) return Cancelled();
    }
    return Outcome(context, *request);
  }

  grpc::Status ClientStream(grpc::ServerContext* context, grpc::ServerReader<RelayRequest>* reader,
                            RelayResponse* response) override {
    RelayRequest request;
    std::string joined;
    int received = 0;
    while (reader->Read(&request)) {
      joined += request.text();
      ++received;
    }
    if (context->IsCancelled()) return Cancelled();
    Describe(*context, request, received, response);
    response->set_text(joined);
    return Outcome(context, request);
  }

  grpc::Status Bidi(grpc::ServerContext* context,
                    grpc::ServerReaderWriter<RelayResponse, RelayRequest>* stream) override {
    RelayRequest request;
    int received = 0;
    while (stream->Read(&request)) {
      ++received;
      if (!Hold(context, request)) return Cancelled();
      if (request.fail_code() != 0) return Outcome(context, request);
      RelayResponse response;
      Describe(*context, request, received, &response);
      if (!stream->Write(response)) return Cancelled();
    }
    return context->IsCancelled() ? Cancelled() : grpc::Status::OK;
  }

 private:
  static grpc::Status Cancelled() {
    ++cancelled_calls;
    return grpc::Status(grpc::StatusCode::CANCELLED, "cancelled");
  }

  // False if the call was cancelled while waiting.
  static bool Hold(grpc::ServerContext* context, const RelayRequest& request) {
    auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(request.hold_ms());
    while (std::chrono::steady_clock::now() < until) {
      if (context->IsCancelled()) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return !context->IsCancelled();
  }

  void Describe(const grpc::ServerContext& context, const RelayRequest& request, int received,
                RelayResponse* response) const {
    response->set_text(request.text());
    response->set_backend(name_);
    response->set_received(received);
    response->set_cancelled_calls(cancelled_calls.load());
    for (const auto& [key, value] : context.client_metadata()) {
      response->mutable_metadata()->try_emplace(std::string(key.data(), key.size()),
                                                std::string(value.data(), value.size()));
    }
    auto deadline = context.deadline();
    response->set_deadline_ms(deadline == std::chrono::system_clock::time_point::max()
                                  ? -1
                                  : std::chrono::duration_cast<std::chrono::milliseconds>(
                                        deadline - std::chrono::system_clock::now())
                                        .count());
  }

  static grpc::Status Outcome(grpc::ServerContext* context, const RelayRequest& request) {
    context->AddInitialMetadata("x-relay-initial", "hello");
    if (request.fail_code() == 0) {
      context->AddTrailingMetadata("x-relay-detail", "fine");
      return grpc::Status::OK;
    }
    context->AddTrailingMetadata("x-relay-detail", "failed on purpose");
    context->AddTrailingMetadata("x-relay-blob-bin", std::string("\0\1\2\xff", 4));
    return grpc::Status(static_cast<grpc::StatusCode>(request.fail_code()),
                        "failed: " + request.text());
  }

  std::string name_;
};

// Any other method: echo the request bytes.
class Echo final : public grpc::CallbackGenericService {
  grpc::ServerGenericBidiReactor* CreateReactor(grpc::GenericCallbackServerContext*) override {
    class Reactor final : public grpc::ServerGenericBidiReactor {
     public:
      Reactor() { StartRead(&buffer_); }
      void OnReadDone(bool ok) override {
        if (!ok) {
          Finish(grpc::Status::OK);
          return;
        }
        StartWrite(&buffer_);
      }
      void OnWriteDone(bool ok) override {
        if (!ok) {
          Finish(grpc::Status::CANCELLED);
          return;
        }
        StartRead(&buffer_);
      }
      void OnDone() override { delete this; }

     private:
      grpc::ByteBuffer buffer_;
    };
    return new Reactor;
  }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  grpc::EnableDefaultHealthCheckService(true);
  Relay relay(argv[2]);
  Echo echo;
  grpc::ServerBuilder builder;
  builder.AddListeningPort(std::string("127.0.0.1:") + argv[1], grpc::InsecureServerCredentials());
  builder.RegisterService(&relay);
  builder.RegisterCallbackGenericService(&echo);
  auto server = builder.BuildAndStart();
  if (!server) return 1;
  server->GetHealthCheckService()->SetServingStatus(true);
  int received = 0;
  sigwait(&signals, &received);
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  return 0;
}
