#include "tools/bench/client.h"

#include "plaza/core/status.h"
#include "plaza/rpc/call.h"

namespace plaza::bench {

void SetCallDeadline(grpc::ClientContext& context) {
  context.set_deadline(std::chrono::system_clock::now() + kCallTimeout);
}

absl::Status FromGrpc(const grpc::Status& status, const grpc::ClientContext& context) {
  if (status.ok()) return absl::OkStatus();
  auto code = static_cast<absl::StatusCode>(status.error_code());
  const auto& trailing = context.GetServerTrailingMetadata();
  auto reason = trailing.find(std::string(rpc::kReasonKey));
  if (reason == trailing.end()) return absl::Status(code, status.error_message());
  return Error(code, std::string_view(reason->second.data(), reason->second.size()),
               status.error_message());
}

absl::StatusOr<std::shared_ptr<grpc::Channel>> Connect(const std::string& target) {
  auto channel = grpc::CreateChannel(target, grpc::InsecureChannelCredentials());
  if (!channel->WaitForConnected(std::chrono::system_clock::now() + kCallTimeout)) {
    return Unavailable("CONNECT_FAILED", "cannot connect to " + target);
  }
  return channel;
}

}  // namespace plaza::bench
