#pragma once

// plaza.echo.v1.EchoService: the smallest real service, used to measure the bare cost of a call
// and of authentication, and to test the server bootstrap.

#include "plaza/echo/v1/echo_service.grpc.pb.h"

namespace plaza::rpc {

class EchoService final : public plaza::echo::v1::EchoService::Service {
 public:
  grpc::Status Echo(grpc::ServerContext* context, const plaza::echo::v1::EchoRequest* request,
                    plaza::echo::v1::EchoResponse* response) override;
  grpc::Status AuthenticatedEcho(grpc::ServerContext* context,
                                 const plaza::echo::v1::AuthenticatedEchoRequest* request,
                                 plaza::echo::v1::AuthenticatedEchoResponse* response) override;
};

}  // namespace plaza::rpc
