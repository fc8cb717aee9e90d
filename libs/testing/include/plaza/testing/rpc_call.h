#pragma once

// Calling a Plaza service from a test as a client would: with a bearer token (or none), keeping
// the status code, message and the stable reason from the `x-plaza-reason` trailer.

#include <grpcpp/grpcpp.h>

#include <string>

namespace plaza::testing {

struct Outcome {
  grpc::StatusCode code = grpc::StatusCode::OK;
  std::string reason;
  std::string message;
  bool ok() const { return code == grpc::StatusCode::OK; }
};

template <typename Stub, typename Request, typename Response>
using Method = grpc::Status (Stub::*)(grpc::ClientContext*, const Request&, Response*);

// The response type of a stub method, for tests that call many methods alike:
// `typename decltype(ResponseOf(method))::type response;`.
template <typename Response>
struct ResponseType {
  using type = Response;
};
template <typename Stub, typename Request, typename Response>
ResponseType<Response> ResponseOf(Method<Stub, Request, Response>) {
  return {};
}

// An empty `bearer_token` sends no authorization.
template <typename Stub, typename Request, typename Response>
Outcome Call(Stub& stub, Method<Stub, Request, Response> method, const std::string& bearer_token,
             const Request& request, Response* response) {
  grpc::ClientContext context;
  if (!bearer_token.empty()) context.AddMetadata("authorization", "Bearer " + bearer_token);
  grpc::Status status = (stub.*method)(&context, request, response);
  Outcome outcome{status.error_code(), "", status.error_message()};
  const auto& trailers = context.GetServerTrailingMetadata();
  if (auto it = trailers.find("x-plaza-reason"); it != trailers.end()) {
    outcome.reason.assign(it->second.data(), it->second.size());
  }
  return outcome;
}

}  // namespace plaza::testing
