#include "tools/bench/echo_baseline.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include "plaza/core/status.h"
#include "tools/bench/client.h"

namespace plaza::bench {
namespace {

using Clock = std::chrono::steady_clock;

// One of the calls kept in flight by MeasureCallbacks: a chain of Echo calls, each started when
// the previous one completes. Its callbacks never overlap, so it records without a lock.
class EchoChain {
 public:
  EchoChain(plaza::echo::v1::EchoService::Stub& stub, Clock::time_point deadline,
            std::atomic<int>& running)
      : stub_(stub), deadline_(deadline), running_(running) {}

  void Start() {
    call_ = std::make_unique<Call>();
    SetCallDeadline(call_->context);
    call_->request.set_payload(EchoBaseline::kPayload);
    call_->begin = Clock::now();
    stub_.async()->Echo(&call_->context, &call_->request, &call_->response,
                        [this](const grpc::Status& status) { Done(status); });
  }

  std::vector<double> latencies_ms;
  int64_t errors = 0;
  absl::Status first_error;
  Clock::time_point finished;

 private:
  struct Call {
    grpc::ClientContext context;
    plaza::echo::v1::EchoRequest request;
    plaza::echo::v1::EchoResponse response;
    Clock::time_point begin;
  };

  void Done(const grpc::Status& status) {
    finished = Clock::now();
    std::unique_ptr<Call> call = std::move(call_);
    absl::Status result = FromGrpc(status, call->context);
    if (result.ok()) {
      latencies_ms.push_back(
          std::chrono::duration<double, std::milli>(finished - call->begin).count());
    } else if (errors++ == 0) {
      first_error = result;
    }
    if (finished < deadline_) {
      Start();
    } else {
      running_.fetch_sub(1);
    }
  }

  plaza::echo::v1::EchoService::Stub& stub_;
  const Clock::time_point deadline_;
  std::atomic<int>& running_;
  std::unique_ptr<Call> call_;
};

}  // namespace

rpc::ServerOptions InProcessServerOptions(std::string name) {
  return {.service_name = std::move(name),
          .host = "127.0.0.1",
          .metrics_port = -1,
          .drain_timeout = std::chrono::seconds(1)};
}

EchoBaseline::EchoBaseline() : server_(InProcessServerOptions("bench-echo"), nullptr, nullptr) {}

absl::Status EchoBaseline::Start() {
  server_.Register(&service_);
  PLAZA_RETURN_IF_ERROR(server_.Start());
  PLAZA_ASSIGN_OR_RETURN(auto channel, Connect("127.0.0.1:" + std::to_string(server_.grpc_port())));
  stub_ = plaza::echo::v1::EchoService::NewStub(channel);
  return absl::OkStatus();
}

absl::Status EchoBaseline::Echo() {
  grpc::ClientContext context;
  SetCallDeadline(context);
  plaza::echo::v1::EchoRequest request;
  request.set_payload(EchoBaseline::kPayload);
  plaza::echo::v1::EchoResponse response;
  return FromGrpc(stub_->Echo(&context, request, &response), context);
}

absl::StatusOr<Summary> EchoBaseline::Measure(const LoadOptions& options) {
  return RunClosedLoop(options, [this](int64_t) { return Echo(); });
}

absl::StatusOr<Summary> EchoBaseline::MeasureCallbacks(const LoadOptions& options) {
  const auto start = Clock::now();
  std::atomic<int> running{options.concurrency};
  std::vector<std::unique_ptr<EchoChain>> chains;
  chains.reserve(static_cast<size_t>(options.concurrency));
  for (int i = 0; i < options.concurrency; ++i) {
    chains.push_back(std::make_unique<EchoChain>(*stub_, start + options.duration, running));
  }
  for (auto& chain : chains) chain->Start();
  // Every call has a deadline, so this ends.
  while (running.load() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));

  std::vector<double> latencies_ms;
  int64_t errors = 0;
  absl::Status first_error;
  Clock::time_point finished = start;
  for (const auto& chain : chains) {
    latencies_ms.insert(latencies_ms.end(), chain->latencies_ms.begin(), chain->latencies_ms.end());
    errors += chain->errors;
    if (first_error.ok()) first_error = chain->first_error;
    finished = std::max(finished, chain->finished);
  }
  if (latencies_ms.empty()) {
    return absl::Status(
        first_error.ok() ? absl::StatusCode::kDeadlineExceeded : first_error.code(),
        options.name + ": no call succeeded; first error: " + first_error.ToString());
  }
  return Summarize(std::move(latencies_ms), errors,
                   std::chrono::duration<double>(finished - start).count());
}

}  // namespace plaza::bench
