#pragma once

// The byte-level proxy: every method no local service implements arrives here, is checked at the
// door, and is relayed as a bidirectional stream of opaque messages to its route's backends, so
// unary, client-, server- and bidi-streaming calls all pass without the gateway knowing their
// types. Deadlines are capped and passed on, cancellation travels both ways, and the backend's
// initial metadata, messages, status and trailing metadata come back unchanged.

#include <grpcpp/generic/async_generic_service.h>

#include <chrono>

#include "services/gateway/backends.h"
#include "services/gateway/door.h"

namespace plaza::gateway {

class ProxyService final : public grpc::CallbackGenericService {
 public:
  // `deadline_cap`: the deadline of calls without one, and the most any call gets.
  ProxyService(Backends& backends, Door& door, std::chrono::milliseconds deadline_cap);

  grpc::ServerGenericBidiReactor* CreateReactor(
      grpc::GenericCallbackServerContext* context) override;

 private:
  Backends& backends_;
  Door& door_;
  const std::chrono::milliseconds deadline_cap_;
};

// The metrics label for a method path at the gateway: its route ("messaging"), or "unroutable",
// so clients cannot create label values at will.
std::string RouteLabel(std::string_view method);

}  // namespace plaza::gateway
