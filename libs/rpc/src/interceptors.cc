#include "plaza/rpc/interceptors.h"

#include <chrono>
#include <forward_list>

#include <spdlog/spdlog.h>

#include "plaza/core/logging.h"
#include "plaza/core/status.h"
#include "plaza/rpc/call.h"

namespace plaza::rpc {
namespace {

using grpc::experimental::InterceptionHookPoints;
using grpc::experimental::Interceptor;
using grpc::experimental::InterceptorBatchMethods;
using grpc::experimental::ServerRpcInfo;
using Multimap = std::multimap<grpc::string_ref, grpc::string_ref>;

constexpr const char* kCodeNames[] = {
    "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
    "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED",
    "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"};

std::string_view CodeName(grpc::StatusCode code) {
  auto index = static_cast<size_t>(code);
  return index < std::size(kCodeNames) ? kCodeNames[index] : "UNKNOWN";
}

grpc::string_ref Ref(std::string_view text) { return grpc::string_ref(text.data(), text.size()); }

// An IPv4 or IPv6 address in text form: it becomes part of rate-limit keys.
bool LooksLikeIp(grpc::string_ref value) {
  std::string_view text(value.data(), value.size());
  return !text.empty() && text.size() <= 45 &&
         text.find_first_not_of("0123456789abcdefABCDEF.:") == std::string_view::npos;
}

// Metadata values inserted by interceptors must outlive the call; the interceptor owns them.
class OwnedStrings {
 public:
  grpc::string_ref Keep(std::string text) { return Ref(strings_.emplace_front(std::move(text))); }

 private:
  // References stay valid as it grows, and an empty one allocates nothing: an interceptor lives
  // as long as its call, which for a push stream is hours.
  std::forward_list<std::string> strings_;
};

class ObservabilityInterceptor : public Interceptor {
 public:
  ObservabilityInterceptor(ServerRpcInfo* info, Metrics& metrics, bool trust_client_ip_header,
                           const std::function<std::string(std::string_view)>& method_label)
      : method_(info->method()),
        label_(method_label ? method_label(method_) : method_),
        metrics_(metrics),
        trust_client_ip_header_(trust_client_ip_header),
        started_(std::chrono::steady_clock::now()) {}

  void Intercept(InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
      Multimap* metadata = methods->GetRecvInitialMetadata();
      if (auto ip = metadata->find(Ref(kClientIpKey));
          ip != metadata->end() && !(trust_client_ip_header_ && LooksLikeIp(ip->second))) {
        metadata->erase(Ref(kClientIpKey));
      }
      auto it = metadata->find(Ref(kRequestIdKey));
      if (it == metadata->end() || it->second.size() == 0 || it->second.size() > 64) {
        if (it != metadata->end()) metadata->erase(it);
        request_id_ = core::NewRequestId();
        metadata->emplace(Ref(kRequestIdKey), strings_.Keep(request_id_));
      } else {
        request_id_.assign(it->second.data(), it->second.size());
      }
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      auto* trailing = methods->GetSendTrailingMetadata();
      // Clients quote it when they report a problem.
      trailing->emplace(std::string(kRequestIdKey), request_id_);
      Record(methods->GetSendStatus(), trailing);
    }
    methods->Proceed();
  }

 private:
  void Record(const grpc::Status& status, std::multimap<std::string, std::string>* trailing) {
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    std::string reason;
    if (auto it = trailing->find(std::string(kReasonKey)); it != trailing->end()) reason = it->second;
    std::string_view code = CodeName(status.error_code());
    metrics_.Add("plaza_rpc_requests_total", Metrics::Labels({{"method", label_}, {"code", code}}));
    metrics_.Observe("plaza_rpc_latency_seconds", Metrics::Labels({{"method", label_}}), seconds);
    core::RequestIdScope scope(request_id_);
    auto level = status.error_code() == grpc::StatusCode::INTERNAL ||
                         status.error_code() == grpc::StatusCode::UNKNOWN
                     ? spdlog::level::err
                     : spdlog::level::info;
    spdlog::log(level, "rpc method={} code={} reason={} latency_ms={:.2f}", method_, code,
                reason.empty() ? "-" : reason, seconds * 1000);
  }

  std::string method_;
  std::string label_;
  Metrics& metrics_;
  const bool trust_client_ip_header_;
  std::chrono::steady_clock::time_point started_;
  std::string request_id_;
  OwnedStrings strings_;
};

class ObservabilityFactory : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  ObservabilityFactory(Metrics& metrics, bool trust_client_ip_header,
                       std::function<std::string(std::string_view)> method_label)
      : metrics_(metrics),
        trust_client_ip_header_(trust_client_ip_header),
        method_label_(std::move(method_label)) {
    metrics_.Declare("plaza_rpc_requests_total", Metrics::Kind::kCounter,
                     "RPCs handled, by method and status code.");
    metrics_.Declare("plaza_rpc_latency_seconds", Metrics::Kind::kHistogram,
                     "RPC handling time in seconds, by method.");
  }
  Interceptor* CreateServerInterceptor(ServerRpcInfo* info) override {
    return new ObservabilityInterceptor(info, metrics_, trust_client_ip_header_, method_label_);
  }

 private:
  Metrics& metrics_;
  const bool trust_client_ip_header_;
  const std::function<std::string(std::string_view)> method_label_;
};

class AuthInterceptor : public Interceptor {
 public:
  AuthInterceptor(const auth::Verifier& verifier, SessionRevocations* revocations, Metrics& metrics)
      : verifier_(verifier), revocations_(revocations), metrics_(metrics) {}

  void Intercept(InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
      Authenticate(methods->GetRecvInitialMetadata());
    }
    methods->Proceed();
  }

 private:
  void Authenticate(Multimap* metadata) {
    for (std::string_view key : {kUserIdKey, kDeviceIdKey, kSessionIdKey, kAuthErrorKey}) {
      metadata->erase(Ref(key));
    }
    auto header = metadata->find(Ref("authorization"));
    if (header == metadata->end()) return;
    std::string_view value(header->second.data(), header->second.size());
    constexpr std::string_view kBearer = "Bearer ";
    if (!value.starts_with(kBearer)) return Refuse(metadata, "TOKEN_MALFORMED");
    auto claims = verifier_.Verify(value.substr(kBearer.size()), auth::TokenKind::kAccess);
    if (!claims.ok()) return Refuse(metadata, ReasonOf(claims.status()));
    if (revocations_ != nullptr) {
      auto revoked = revocations_->IsRevoked(claims->session_id);
      if (!revoked.ok()) {
        metrics_.Add("plaza_auth_revocation_unchecked_total", "");
      } else if (*revoked) {
        return Refuse(metadata, "SESSION_REVOKED");
      }
    }
    metadata->emplace(Ref(kUserIdKey), strings_.Keep(std::to_string(claims->user_id)));
    metadata->emplace(Ref(kDeviceIdKey), strings_.Keep(claims->device_id));
    metadata->emplace(Ref(kSessionIdKey), strings_.Keep(std::to_string(claims->session_id)));
  }

  void Refuse(Multimap* metadata, std::string reason) {
    metadata->emplace(Ref(kAuthErrorKey), strings_.Keep(std::move(reason)));
  }

  const auth::Verifier& verifier_;
  SessionRevocations* revocations_;
  Metrics& metrics_;
  OwnedStrings strings_;
};

class AuthFactory : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  AuthFactory(const auth::Verifier& verifier, SessionRevocations* revocations, Metrics& metrics)
      : verifier_(verifier), revocations_(revocations), metrics_(metrics) {
    metrics_.Declare("plaza_auth_revocation_unchecked_total", Metrics::Kind::kCounter,
                     "Tokens accepted on signature and expiry alone because Redis was unreachable.");
  }
  Interceptor* CreateServerInterceptor(ServerRpcInfo*) override {
    return new AuthInterceptor(verifier_, revocations_, metrics_);
  }

 private:
  const auth::Verifier& verifier_;
  SessionRevocations* revocations_;
  Metrics& metrics_;
};

}  // namespace

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> MakeObservabilityInterceptor(
    Metrics& metrics, bool trust_client_ip_header,
    std::function<std::string(std::string_view)> method_label) {
  return std::make_unique<ObservabilityFactory>(metrics, trust_client_ip_header, std::move(method_label));
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> MakeAuthInterceptor(
    const auth::Verifier& verifier, SessionRevocations* revocations, Metrics& metrics) {
  return std::make_unique<AuthFactory>(verifier, revocations, metrics);
}

}  // namespace plaza::rpc
