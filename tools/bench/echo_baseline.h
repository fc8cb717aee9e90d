#pragma once

// The bare cost of a Plaza gRPC call on this machine: plaza.echo.v1.EchoService/Echo on an
// rpc::Server hosted in the bench's own process (127.0.0.1, a free port, no auth, the
// observability interceptor included), called by the closed-loop driver. Scenarios measure it in
// the same run as what they study and report their rate as a ratio of it (auth, chat), so that
// the figure says how close a path comes to what the machine's gRPC can do at all.

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "plaza/echo/v1/echo_service.grpc.pb.h"
#include "plaza/rpc/echo_service.h"
#include "plaza/rpc/server.h"
#include "tools/bench/load.h"
#include "tools/bench/stats.h"

namespace plaza::bench {

// A server inside the bench: loopback only, on a free port, without the HTTP endpoint nobody
// scrapes here.
rpc::ServerOptions InProcessServerOptions(std::string name);

class EchoBaseline {
 public:
  // What every echo call of the bench sends.
  static constexpr const char* kPayload = "plaza-bench";

  EchoBaseline();

  // Starts the server and connects to it.
  absl::Status Start();

  // One Echo call with a small payload.
  absl::Status Echo();

  // Echo calls on `options.concurrency` threads for `options.duration` (see RunClosedLoop).
  absl::StatusOr<Summary> Measure(const LoadOptions& options);

  // The same with gRPC's callback API and no thread per call: `options.concurrency` calls in
  // flight, each one's successor started from its completion until `options.duration` has
  // passed, like scenarios that drive many concurrent clients (chat's sends). The summary is
  // over the wall time from start to the last completion; failures count as errors, and if none
  // succeeded it returns the first failure.
  absl::StatusOr<Summary> MeasureCallbacks(const LoadOptions& options);

 private:
  rpc::EchoService service_;
  rpc::Server server_;
  std::unique_ptr<plaza::echo::v1::EchoService::Stub> stub_;
};

}  // namespace plaza::bench
