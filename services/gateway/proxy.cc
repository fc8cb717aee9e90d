#include "services/gateway/proxy.h"

#include <spdlog/spdlog.h>

#include <mutex>

#include "plaza/core/logging.h"

namespace plaza::gateway {
namespace {

using grpc::ByteBuffer;

// Metadata the transport owns, or that only the gateway may set, is not copied from the client.
bool ForwardableHeader(std::string_view key) {
  return !key.starts_with("x-plaza-") && !key.starts_with("grpc-") && key != "user-agent" &&
         key != "te" && key != "content-type" && key != "host";
}

// Of what the backend sends back, everything but the transport's own headers.
bool ReturnableHeader(std::string_view key) {
  return !key.starts_with("grpc-") && key != "content-type";
}

std::string_view View(grpc::string_ref ref) { return {ref.data(), ref.size()}; }

// One proxied call. The server side is this reactor; the backend side is the nested client
// reactor. Two pumps run independently: requests (client → backend) and responses
// (backend → client), each with at most one message in flight, so a slow reader slows its
// writer instead of filling memory.
//
// Lifetime: the backend call holds two holds, one per pump, so its OnDone (and with it the
// server's Finish) comes only after both pumps have stopped touching it. The server reactor is
// deleted in its OnDone, which gRPC calls only after Finish.
class ProxyCall final : public grpc::ServerGenericBidiReactor {
 public:
  ProxyCall(grpc::GenericCallbackServerContext* context, Backends& backends, Door& door,
            std::chrono::milliseconds deadline_cap)
      : context_(context), backend_(this) {
    core::RequestIdScope scope(rpc::RequestIdOf(*context));
    auto policy = PolicyFor(context->method());
    grpc::GenericStub* stub = policy ? backends.Find(policy->route) : nullptr;
    if (stub == nullptr) {
      Finish(grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "unknown method"));
      return;
    }
    std::optional<rpc::Caller> caller;
    if (grpc::Status admitted = door.Admit(*policy, context, &caller); !admitted.ok()) {
      Finish(admitted);
      return;
    }
    PrepareBackendContext(caller, deadline_cap);
    stub->PrepareBidiStreamingCall(&backend_context_, context->method(), grpc::StubOptions(),
                                   &backend_);
    backend_.AddMultipleHolds(2);
    backend_.StartCall();
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    std::unique_lock lock(mutex_);
    if (!requests_open_) return;  // the backend has already answered
    if (ok) {
      backend_.StartWrite(&request_);
      return;
    }
    backend_.StartWritesDone();
    requests_open_ = false;
    lock.unlock();
    backend_.RemoveHold();
  }

  void OnWriteDone(bool ok) override {
    if (ok) {
      backend_.StartRead(&response_);
      return;
    }
    // The client is gone: stop the backend too.
    backend_context_.TryCancel();
    backend_.RemoveHold();
  }

  void OnCancel() override { backend_context_.TryCancel(); }

  void OnDone() override { delete this; }

 private:
  class Backend final : public grpc::ClientBidiReactor<ByteBuffer, ByteBuffer> {
   public:
    explicit Backend(ProxyCall* call) : call_(call) {}
    void OnReadInitialMetadataDone(bool ok) override { call_->BackendInitialMetadata(ok); }
    void OnReadDone(bool ok) override { call_->BackendRead(ok); }
    void OnWriteDone(bool ok) override { call_->BackendWrote(ok); }
    void OnDone(const grpc::Status& status) override { call_->BackendDone(status); }

   private:
    ProxyCall* call_;
  };

  void PrepareBackendContext(const std::optional<rpc::Caller>& caller,
                             std::chrono::milliseconds deadline_cap) {
    auto cap = std::chrono::system_clock::now() + deadline_cap;
    backend_context_.set_deadline(std::min(context_->deadline(), cap));
    for (const auto& [key, value] : context_->client_metadata()) {
      if (ForwardableHeader(View(key))) {
        backend_context_.AddMetadata(std::string(View(key)), std::string(View(value)));
      }
    }
    backend_context_.AddMetadata(std::string(rpc::kRequestIdKey), rpc::RequestIdOf(*context_));
    backend_context_.AddMetadata(std::string(rpc::kClientIpKey), rpc::ClientIpOf(*context_));
    if (caller) {
      // Services verify the bearer token themselves; these are for their logs and for callers of
      // services that trust the gateway.
      backend_context_.AddMetadata(std::string(rpc::kUserIdKey), std::to_string(caller->user_id));
      backend_context_.AddMetadata(std::string(rpc::kDeviceIdKey), caller->device_id);
      backend_context_.AddMetadata(std::string(rpc::kSessionIdKey),
                                   std::to_string(caller->session_id));
    }
  }

  void BackendInitialMetadata(bool ok) {
    if (!ok) {
      // The backend answered with trailers only (an error before any message).
      ReleaseResponses();
      return;
    }
    // Copied before the first response is read, so it precedes every message sent back.
    for (const auto& [key, value] : backend_context_.GetServerInitialMetadata()) {
      if (!ReturnableHeader(View(key))) continue;
      context_->AddInitialMetadata(std::string(View(key)), std::string(View(value)));
    }
    backend_.StartRead(&response_);
  }

  void BackendRead(bool ok) {
    if (ok) {
      StartWrite(&response_);
      return;
    }
    ReleaseResponses();
  }

  void BackendWrote(bool ok) {
    std::unique_lock lock(mutex_);
    if (ok && requests_open_) {
      StartRead(&request_);
      return;
    }
    if (!requests_open_) return;
    requests_open_ = false;
    lock.unlock();
    backend_.RemoveHold();
  }

  // The backend sent its last message (or none): the response pump stops, and so does the
  // request pump, since nobody will read what the client still sends.
  void ReleaseResponses() {
    std::unique_lock lock(mutex_);
    bool release_requests = requests_open_;
    requests_open_ = false;
    lock.unlock();
    if (release_requests) backend_.RemoveHold();
    backend_.RemoveHold();
  }

  void BackendDone(const grpc::Status& status) {
    bool has_reason = false;
    for (const auto& [key, value] : backend_context_.GetServerTrailingMetadata()) {
      // The gateway's own interceptor adds the request id once.
      if (View(key) == rpc::kRequestIdKey || !ReturnableHeader(View(key))) continue;
      has_reason = has_reason || View(key) == rpc::kReasonKey;
      context_->AddTrailingMetadata(std::string(View(key)), std::string(View(value)));
    }
    if (IsUnparsableRequest(status, has_reason)) {
      context_->AddTrailingMetadata(std::string(rpc::kReasonKey), "MALFORMED_REQUEST");
      Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          "the request does not parse as the method's message"));
      return;
    }
    Finish(status);  // last: the reactor may be deleted as soon as this returns
  }

  // gRPC answers a request that fails to parse (e.g. invalid UTF-8 in a string field) with a bare
  // INTERNAL before any handler runs; Plaza's handlers never send INTERNAL without a reason. It
  // is the client's bad input, so the client hears INVALID_ARGUMENT (blueprint §7).
  static bool IsUnparsableRequest(const grpc::Status& status, bool has_reason) {
    return status.error_code() == grpc::StatusCode::INTERNAL && status.error_message().empty() &&
           !has_reason;
  }

  grpc::GenericCallbackServerContext* context_;
  grpc::ClientContext backend_context_;
  Backend backend_;
  ByteBuffer request_;
  ByteBuffer response_;
  std::mutex mutex_;
  bool requests_open_ = true;  // the request pump still holds the backend call
};

}  // namespace

ProxyService::ProxyService(Backends& backends, Door& door, std::chrono::milliseconds deadline_cap)
    : backends_(backends), door_(door), deadline_cap_(deadline_cap) {}

grpc::ServerGenericBidiReactor* ProxyService::CreateReactor(
    grpc::GenericCallbackServerContext* context) {
  return new ProxyCall(context, backends_, door_, deadline_cap_);
}

std::string RouteLabel(std::string_view method) {
  if (method == kConnectMethod) return "gateway";
  auto policy = PolicyFor(method);
  return policy ? policy->route : "unroutable";
}

}  // namespace plaza::gateway
