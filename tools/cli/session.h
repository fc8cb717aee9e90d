#pragma once

// A client of one gateway: the channel, the stubs, and the account's tokens from the config file,
// refreshed before they expire. Thread-safe: a chat sends from one thread while its push stream
// syncs on another.

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "plaza/core/status.h"
#include "plaza/gateway/v1/push_service.grpc.pb.h"
#include "plaza/groups/v1/groups_service.grpc.pb.h"
#include "plaza/identity/v1/identity_service.grpc.pb.h"
#include "plaza/messaging/v1/messaging_service.grpc.pb.h"
#include "tools/cli/config_file.h"

namespace plaza::cli {

// How long a single request may take, retries not included.
inline constexpr std::chrono::seconds kCallTimeout{15};

// The call's outcome as a status: the gateway's `x-plaza-reason` as the reason, its
// `x-plaza-retry-after-ms` as the retry hint (format.h), and for a gateway that cannot be reached
// a message that names `server`. Call once the call has finished.
absl::Status FromGrpc(const grpc::Status& status, const grpc::ClientContext& context,
                      std::string_view server);

class Session {
 public:
  Session(std::string server, ConfigStore store, CliConfig config);

  const std::string& server() const { return server_; }
  // A snapshot of the config as this process last read or wrote it.
  CliConfig config() const;

  identity::v1::IdentityService::Stub& identity() { return *identity_; }
  messaging::v1::MessagingService::Stub& messaging() { return *messaging_; }
  groups::v1::GroupsService::Stub& groups() { return *groups_; }
  gateway::v1::PushService::Stub& push() { return *push_; }

  // A call without a token: `invoke(context, response)` returns the call's grpc::Status.
  template <typename Response, typename Invoke>
  absl::StatusOr<Response> CallPublic(Invoke invoke) const {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + kCallTimeout);
    Response response;
    absl::Status status = FromGrpc(invoke(&context, &response), context, server_);
    if (!status.ok()) return status;
    return response;
  }

  // A call with the access token. The token is refreshed first if it is about to expire, and
  // once more if the gateway still says TOKEN_EXPIRED (the clocks may differ).
  // UNAUTHENTICATED, NOT_LOGGED_IN when the config holds no session.
  template <typename Response, typename Invoke>
  absl::StatusOr<Response> Call(Invoke invoke) {
    PLAZA_ASSIGN_OR_RETURN(std::string token, FreshAccessToken());
    for (bool refreshed = false;; refreshed = true) {
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() + kCallTimeout);
      context.AddMetadata("authorization", "Bearer " + token);
      Response response;
      absl::Status status = FromGrpc(invoke(&context, &response), context, server_);
      if (status.ok()) return response;
      if (refreshed || ReasonOf(status) != "TOKEN_EXPIRED") return status;
      PLAZA_RETURN_IF_ERROR(RefreshAfterRefusal(token));
      PLAZA_ASSIGN_OR_RETURN(token, FreshAccessToken());
    }
  }

  // A paged list call: `invoke(context, request, response)` per page, `merge(all, page)` adding
  // each page to one response (scripts get a single document); every page, or only the first
  // unless `all_pages`. The merged response keeps the last page's next_page_token.
  template <typename Response, typename Request, typename Invoke, typename Merge>
  absl::StatusOr<Response> CallPages(Request request, Invoke invoke, Merge merge,
                                     bool all_pages = true) {
    Response merged;
    do {
      PLAZA_ASSIGN_OR_RETURN(auto page, Call<Response>([&](grpc::ClientContext* context,
                                                           Response* out) {
                               return invoke(context, request, out);
                             }));
      merge(merged, page);
      merged.set_next_page_token(page.next_page_token());
      request.set_page_token(page.next_page_token());
    } while (all_pages && !request.page_token().empty());
    return merged;
  }

  // Puts a fresh access token on the context of a stream; returns the token used.
  absl::StatusOr<std::string> Authorize(grpc::ClientContext& context);

  // Gets new tokens because `refused_token` was refused. Does nothing if another thread or
  // process already replaced it with a usable one: the refresh token is single-use, and a spent
  // one presented again ends the whole session.
  absl::Status RefreshAfterRefusal(const std::string& refused_token);

  // This config's device id, made and stored on first use.
  absl::StatusOr<std::string> DeviceId();

  // Stores a login: the account, its tokens and this server. The sync cursor belongs to the
  // account, so it is dropped when the account changes.
  absl::Status SaveLogin(int64_t user_id, const identity::v1::SessionTokens& tokens);

  // Edits the config file (a locked read-modify-write) and keeps this process's copy current.
  absl::StatusOr<CliConfig> UpdateConfig(const std::function<absl::Status(CliConfig&)>& change);

 private:
  absl::StatusOr<std::string> FreshAccessToken();

  const std::string server_;
  const ConfigStore store_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<identity::v1::IdentityService::Stub> identity_;
  std::unique_ptr<messaging::v1::MessagingService::Stub> messaging_;
  std::unique_ptr<groups::v1::GroupsService::Stub> groups_;
  std::unique_ptr<gateway::v1::PushService::Stub> push_;

  mutable std::mutex config_mutex_;
  CliConfig config_;
  // Held across a refresh, so this process's threads refresh one at a time.
  std::mutex refresh_mutex_;
};

}  // namespace plaza::cli
