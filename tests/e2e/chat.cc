#include "tests/e2e/chat.h"

#include <catch2/catch.hpp>

namespace plaza::e2e {

namespace v1 = messaging::v1;
using gateway::testing::PushClient;

void AuthorizeWithDeadline(grpc::ClientContext& context, const Account& account) {
  Authorize(context, account);
  context.set_deadline(std::chrono::system_clock::now() + kCallDeadline);
}

grpc::Status Send(v1::MessagingService::Stub& stub, const Account& account, int64_t conversation_id,
                  const std::string& client_id, const std::string& text,
                  v1::SendMessageResponse* response) {
  grpc::ClientContext context;
  AuthorizeWithDeadline(context, account);
  v1::SendMessageRequest request;
  request.set_conversation_id(conversation_id);
  request.set_client_message_id(client_id);
  request.mutable_content()->mutable_text()->set_text(text);
  return stub.SendMessage(&context, request, response);
}

SyncedConversation SyncConversation(Cluster& cluster, const Account& account, std::string& cursor,
                                    int64_t conversation_id) {
  auto stub = cluster.Messaging();
  SyncedConversation synced;
  for (int page = 0; page < 100; ++page) {
    grpc::ClientContext context;
    AuthorizeWithDeadline(context, account);
    v1::SyncRequest request;
    request.set_cursor(cursor);
    v1::SyncResponse response;
    auto status = stub->Sync(&context, request, &response);
    INFO(status.error_message());
    REQUIRE(status.ok());
    for (const auto& changes : response.changes()) {
      if (changes.conversation().conversation_id() != conversation_id) continue;
      synced.reset = synced.reset || changes.reset();
      synced.conversation = changes.conversation();
      synced.messages.insert(synced.messages.end(), changes.messages().begin(),
                             changes.messages().end());
    }
    cursor = response.cursor();
    if (!response.has_more()) return synced;
  }
  FAIL("Sync did not finish");
  return synced;
}

std::vector<v1::Message> SyncMessages(Cluster& cluster, const Account& account, std::string& cursor,
                                      int64_t conversation_id, bool* reset) {
  auto synced = SyncConversation(cluster, account, cursor, conversation_id);
  if (reset != nullptr) *reset = *reset || synced.reset;
  return std::move(synced.messages);
}

std::vector<v1::Message> FullHistory(Cluster& cluster, const Account& account,
                                     int64_t conversation_id) {
  auto stub = cluster.Messaging();
  std::vector<v1::Message> history;
  int64_t before_seq = 0;
  for (int page = 0; page < 100; ++page) {
    v1::GetHistoryRequest request;
    request.set_conversation_id(conversation_id);
    request.set_before_seq(before_seq);
    request.set_page_size(200);
    v1::GetHistoryResponse response;
    auto outcome =
        CallAs(*stub, &v1::MessagingService::Stub::GetHistory, account, request, &response);
    INFO(outcome.code << " " << outcome.reason << " " << outcome.message);
    REQUIRE(outcome.ok());
    history.insert(history.begin(), response.messages().begin(), response.messages().end());
    if (!response.has_more() || response.messages().empty()) return history;
    before_seq = response.messages(0).seq();
  }
  FAIL("GetHistory did not reach the start");
  return history;
}

std::optional<v1::Message> NextMessage(PushClient& device) {
  for (int i = 0; i < 20; ++i) {
    auto next = device.NextEvent(kCallDeadline);
    if (!next) return std::nullopt;
    if (next->has_event() && next->event().has_message_changed())
      return next->event().message_changed().message();
  }
  return std::nullopt;
}

std::vector<v1::Message> ReceiveMessages(
    PushClient& device, int64_t conversation_id,
    const std::function<bool(const std::vector<v1::Message>&)>& done,
    std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::vector<v1::Message> received;
  while (!done(received)) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left <= std::chrono::milliseconds::zero()) break;
    auto next = device.NextEvent(left);
    if (!next) break;
    if (next->has_event() && next->event().has_message_changed() &&
        next->event().message_changed().message().conversation_id() == conversation_id) {
      received.push_back(next->event().message_changed().message());
    }
  }
  return received;
}

std::vector<v1::Message> MoreMessages(PushClient& device, int64_t conversation_id,
                                      std::chrono::milliseconds quiet) {
  return ReceiveMessages(
      device, conversation_id, [](const std::vector<v1::Message>&) { return false; }, quiet);
}

}  // namespace plaza::e2e
