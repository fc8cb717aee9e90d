#pragma once

// One gRPC channel per route, balancing round robin over the route's backends that pass the
// gRPC health protocol: a backend that stops answering, or answers NOT_SERVING, gets no calls
// until it is healthy again, and reconnect attempts back off to at most a second so recovery is
// noticed quickly.

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <map>
#include <memory>
#include <string>
#include <string_view>

namespace plaza::gateway {

class Backends {
 public:
  // `routes`: route name → gRPC target, as ParseRoutes() makes them.
  Backends(const std::map<std::string, std::string>& routes, int max_message_bytes);

  // The stub for a route, or null if the route is not configured.
  grpc::GenericStub* Find(std::string_view route);

  // Whether each route has a healthy backend now; idle channels are asked to connect.
  std::map<std::string, bool> Health();

 private:
  struct Route {
    std::shared_ptr<grpc::Channel> channel;
    std::unique_ptr<grpc::GenericStub> stub;
  };
  std::map<std::string, Route, std::less<>> routes_;
};

}  // namespace plaza::gateway
