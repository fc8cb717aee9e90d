#pragma once

// Server interceptors installed on every Plaza service.
//
// ObservabilityInterceptor: makes sure each call has a request id (the gateway's or a new one),
// removes `x-plaza-client-ip` unless it is trusted and well-formed, and, when the status is sent, writes one log line (method, code, reason, latency, request id)
// and the per-method Prometheus metrics.
//
// AuthInterceptor: removes any client-sent identity metadata, verifies the bearer token (Ed25519
// signature, expiry, kind, revocation) and, if valid, adds the verified user/device/session ids
// for rpc::RequireCaller; if invalid, records the refusal reason instead. It never fails a call
// by itself: public methods (login, register) are decided by the handler, which calls
// RequireCaller() for everything else. If Redis cannot be asked about revocation, the token's
// signature and expiry alone decide (access tokens are short-lived), and
// plaza_auth_revocation_unchecked_total counts it.

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <grpcpp/support/server_interceptor.h>

#include "plaza/auth/token.h"
#include "plaza/rpc/metrics.h"
#include "plaza/rpc/revocation.h"

namespace plaza::rpc {

// `method_label` maps a method path to its metrics label; empty keeps the path.
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> MakeObservabilityInterceptor(
    Metrics& metrics, bool trust_client_ip_header,
    std::function<std::string(std::string_view)> method_label = {});

// `revocations` may be null (no revocation checks, for tests of the signature path only).
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> MakeAuthInterceptor(
    const auth::Verifier& verifier, SessionRevocations* revocations, Metrics& metrics);

}  // namespace plaza::rpc
