#include "tools/cli/session.h"

#include <google/protobuf/util/time_util.h>

#include "tools/cli/format.h"
#include "tools/cli/ids.h"

namespace plaza::cli {
namespace {

std::string Trailer(const grpc::ClientContext& context, std::string_view key) {
  const auto& trailers = context.GetServerTrailingMetadata();
  auto found = trailers.find(std::string(key));
  if (found == trailers.end()) return "";
  return {found->second.data(), found->second.size()};
}

absl::Status NotLoggedIn() {
  return Unauthenticated("NOT_LOGGED_IN",
                         "not logged in: run `plaza login <phone> --password P`, or `plaza code "
                         "<phone>` then `plaza login <phone> --code C`");
}

void StoreTokens(CliConfig& config, const identity::v1::SessionTokens& tokens) {
  config.set_session_id(tokens.session_id());
  config.set_access_token(tokens.access_token());
  *config.mutable_access_token_expire_time() = tokens.access_token_expire_time();
  config.set_refresh_token(tokens.refresh_token());
}

}  // namespace

absl::Status FromGrpc(const grpc::Status& status, const grpc::ClientContext& context,
                      std::string_view server) {
  if (status.ok()) return absl::OkStatus();
  auto code = static_cast<absl::StatusCode>(status.error_code());
  std::string reason = Trailer(context, "x-plaza-reason");
  std::string message = status.error_message();
  // Without a reason the failure came from a connection (to the gateway, or the gateway's to a
  // service), not from Plaza's rules: say where the client was calling.
  if (reason.empty() && code == absl::StatusCode::kUnavailable) {
    message = "Plaza at " + std::string(server) + " is unavailable: " + message;
  } else if (reason.empty() && code == absl::StatusCode::kDeadlineExceeded) {
    message = "no answer from Plaza at " + std::string(server) + " within " +
              std::to_string(kCallTimeout.count()) + " s";
  }
  absl::Status result = Error(code, reason, message);
  if (std::string retry_after = Trailer(context, "x-plaza-retry-after-ms"); !retry_after.empty()) {
    result = WithRetryAfter(result, std::strtoll(retry_after.c_str(), nullptr, 10));
  }
  return result;
}

Session::Session(std::string server, ConfigStore store, CliConfig config)
    : server_(std::move(server)),
      store_(std::move(store)),
      channel_(grpc::CreateChannel(server_, grpc::InsecureChannelCredentials())),
      identity_(identity::v1::IdentityService::NewStub(channel_)),
      messaging_(messaging::v1::MessagingService::NewStub(channel_)),
      groups_(groups::v1::GroupsService::NewStub(channel_)),
      push_(gateway::v1::PushService::NewStub(channel_)),
      config_(std::move(config)) {}

CliConfig Session::config() const {
  std::lock_guard lock(config_mutex_);
  return config_;
}

absl::StatusOr<std::string> Session::Authorize(grpc::ClientContext& context) {
  PLAZA_ASSIGN_OR_RETURN(std::string token, FreshAccessToken());
  context.AddMetadata("authorization", "Bearer " + token);
  return token;
}

absl::StatusOr<std::string> Session::FreshAccessToken() {
  CliConfig current = config();
  if (AccessTokenUsable(current, std::chrono::system_clock::now())) return current.access_token();
  if (current.refresh_token().empty()) return NotLoggedIn();
  PLAZA_RETURN_IF_ERROR(RefreshAfterRefusal(current.access_token()));
  return config().access_token();
}

absl::Status Session::RefreshAfterRefusal(const std::string& refused_token) {
  std::lock_guard refreshing(refresh_mutex_);
  auto updated = UpdateConfig([&](CliConfig& stored) -> absl::Status {
    if (stored.access_token() != refused_token &&
        AccessTokenUsable(stored, std::chrono::system_clock::now())) {
      return absl::OkStatus();
    }
    if (stored.refresh_token().empty()) return NotLoggedIn();
    identity::v1::RefreshSessionRequest request;
    request.set_refresh_token(stored.refresh_token());
    auto response = CallPublic<identity::v1::RefreshSessionResponse>(
        [&](grpc::ClientContext* context, identity::v1::RefreshSessionResponse* out) {
          return identity_->RefreshSession(context, request, out);
        });
    if (!response.ok()) return response.status();
    StoreTokens(stored, response->tokens());
    return absl::OkStatus();
  });
  return updated.status();
}

absl::StatusOr<std::string> Session::DeviceId() {
  if (std::string known = config().device_id(); !known.empty()) return known;
  PLAZA_ASSIGN_OR_RETURN(CliConfig stored, UpdateConfig([](CliConfig& config) {
                           if (config.device_id().empty()) {
                             config.set_device_id(NewDeviceId(RandomBits()));
                           }
                           return absl::OkStatus();
                         }));
  return stored.device_id();
}

absl::Status Session::SaveLogin(int64_t user_id, const identity::v1::SessionTokens& tokens) {
  return UpdateConfig([&](CliConfig& config) {
           if (config.user_id() != user_id) config.clear_sync_cursor();
           config.set_user_id(user_id);
           config.set_server(server_);
           StoreTokens(config, tokens);
           return absl::OkStatus();
         })
      .status();
}

absl::StatusOr<CliConfig> Session::UpdateConfig(
    const std::function<absl::Status(CliConfig&)>& change) {
  PLAZA_ASSIGN_OR_RETURN(CliConfig stored, store_.Update(change));
  std::lock_guard lock(config_mutex_);
  config_ = stored;
  return stored;
}

}  // namespace plaza::cli
