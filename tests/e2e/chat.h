#pragma once

// What the chat scenarios do the way a client app does, through the gateway: calls with the
// account's token and a deadline (keeping the `x-plaza-reason` of a refusal), sends, Sync until
// nothing more is ready, GetHistory paged back to the start, and reading a device's push stream.
// Every wait is bounded.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "plaza/messaging/v1/messaging_service.grpc.pb.h"
#include "plaza/testing/rpc_call.h"
#include "services/gateway/tests/push_client.h"
#include "tests/e2e/cluster.h"

namespace plaza::e2e {

// The deadline of every call a test makes.
inline constexpr std::chrono::seconds kCallDeadline{5};

// The account's token and a deadline, as an app sends every call.
void AuthorizeWithDeadline(grpc::ClientContext& context, const Account& account);

// Calls `method` as `account` with a deadline; the status code, message and reason.
template <typename Stub, typename Request, typename Response>
testing::Outcome CallAs(Stub& stub, testing::Method<Stub, Request, Response> method,
                        const Account& account, const Request& request, Response* response) {
  grpc::ClientContext context;
  AuthorizeWithDeadline(context, account);
  grpc::Status status = (stub.*method)(&context, request, response);
  testing::Outcome outcome{status.error_code(), "", status.error_message()};
  const auto& trailers = context.GetServerTrailingMetadata();
  if (auto it = trailers.find("x-plaza-reason"); it != trailers.end()) {
    outcome.reason.assign(it->second.data(), it->second.size());
  }
  return outcome;
}

// A text message with a client id, as SendMessage stores it.
grpc::Status Send(messaging::v1::MessagingService::Stub& stub, const Account& account,
                  int64_t conversation_id, const std::string& client_id, const std::string& text,
                  messaging::v1::SendMessageResponse* response);

// What Sync said about one conversation over all pages of one catch-up.
struct SyncedConversation {
  // New, edited and recalled messages, in the order the pages listed them.
  std::vector<messaging::v1::Message> messages;
  // The conversation's state as the last page that listed it had it.
  std::optional<messaging::v1::Conversation> conversation;
  // Some page said to drop the cache of it.
  bool reset = false;
};

// Syncs from `cursor` until nothing more is ready, advancing `cursor`; what changed in
// `conversation_id`.
SyncedConversation SyncConversation(Cluster& cluster, const Account& account, std::string& cursor,
                                    int64_t conversation_id);

// The messages of `conversation_id` that Sync returns from `cursor`, in order.
std::vector<messaging::v1::Message> SyncMessages(Cluster& cluster, const Account& account,
                                                 std::string& cursor, int64_t conversation_id,
                                                 bool* reset = nullptr);

// Every message of the conversation `account` may see, paged back with GetHistory; oldest first.
std::vector<messaging::v1::Message> FullHistory(Cluster& cluster, const Account& account,
                                                int64_t conversation_id);

// The next message event on a device's stream, skipping other events.
std::optional<messaging::v1::Message> NextMessage(gateway::testing::PushClient& device);

// The message events of `conversation_id` on a device's stream, in arrival order, until
// `done(received)` holds or `timeout` passes.
std::vector<messaging::v1::Message> ReceiveMessages(
    gateway::testing::PushClient& device, int64_t conversation_id,
    const std::function<bool(const std::vector<messaging::v1::Message>&)>& done,
    std::chrono::milliseconds timeout);

// The message events of `conversation_id` that arrive on the stream within `quiet`.
std::vector<messaging::v1::Message> MoreMessages(gateway::testing::PushClient& device,
                                                 int64_t conversation_id,
                                                 std::chrono::milliseconds quiet);

}  // namespace plaza::e2e
