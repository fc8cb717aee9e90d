#include "plaza/rpc/echo_service.h"

#include "plaza/core/status.h"
#include "plaza/rpc/call.h"

namespace plaza::rpc {

grpc::Status EchoService::Echo(grpc::ServerContext* context,
                               const plaza::echo::v1::EchoRequest* request,
                               plaza::echo::v1::EchoResponse* response) {
  return Handle(context, [&] {
    response->set_payload(request->payload());
    return absl::OkStatus();
  });
}

grpc::Status EchoService::AuthenticatedEcho(grpc::ServerContext* context,
                                            const plaza::echo::v1::AuthenticatedEchoRequest* request,
                                            plaza::echo::v1::AuthenticatedEchoResponse* response) {
  return Handle(context, [&]() -> absl::Status {
    PLAZA_ASSIGN_OR_RETURN(Caller caller, RequireCaller(*context));
    response->set_payload(request->payload());
    response->set_user_id(caller.user_id);
    return absl::OkStatus();
  });
}

}  // namespace plaza::rpc
