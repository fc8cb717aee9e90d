#include "tools/bench/client.h"

#include <charconv>

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

namespace {

absl::StatusOr<std::shared_ptr<grpc::Channel>> Connected(std::shared_ptr<grpc::Channel> channel,
                                                         const std::string& target) {
  if (!channel->WaitForConnected(std::chrono::system_clock::now() + kCallTimeout)) {
    return Unavailable("CONNECT_FAILED", "cannot connect to " + target);
  }
  return channel;
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::Channel>> Connect(const std::string& target) {
  return Connected(grpc::CreateChannel(target, grpc::InsecureChannelCredentials()), target);
}

absl::StatusOr<std::shared_ptr<grpc::Channel>> ConnectOwn(const std::string& target, int index) {
  grpc::ChannelArguments arguments;
  arguments.SetInt("plaza.bench.channel", index);
  return Connected(grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), arguments),
                   target);
}

std::chrono::milliseconds RetryAfter(const grpc::ClientContext& context,
                                     std::chrono::milliseconds fallback) {
  const auto& trailing = context.GetServerTrailingMetadata();
  auto hint = trailing.find("x-plaza-retry-after-ms");
  if (hint == trailing.end()) return fallback;
  int64_t ms = 0;
  auto [end, error] =
      std::from_chars(hint->second.data(), hint->second.data() + hint->second.size(), ms);
  if (error != std::errc() || end != hint->second.data() + hint->second.size() || ms <= 0) {
    return fallback;
  }
  return std::chrono::milliseconds(ms);
}

std::string FailureKind(const absl::Status& status) {
  std::string kind = absl::StatusCodeToString(status.code());
  if (std::string reason = ReasonOf(status); !reason.empty()) kind += " " + reason;
  return kind;
}

}  // namespace plaza::bench
