// Chat through the gateway with the real plaza-gateway, plaza-identity and plaza-messaging
// processes: friends chat live over their push streams, a device that was offline catches up
// through Sync, and a stream of sends survives messaging, PostgreSQL and Redis going down in the
// middle with every acknowledged message stored exactly once, in order.

#include <catch2/catch.hpp>
#include <csignal>
#include <functional>
#include <map>
#include <pqxx/pqxx>
#include <thread>

#include "services/gateway/tests/push_client.h"
#include "tests/e2e/chat.h"
#include "tests/e2e/cluster.h"

using namespace std::chrono_literals;
namespace chat_e2e {

using plaza::e2e::Account;
using plaza::e2e::AuthorizeWithDeadline;
using plaza::e2e::Cluster;
using plaza::e2e::NextMessage;
using plaza::e2e::Send;
using plaza::e2e::SyncMessages;
using plaza::gateway::testing::PushClient;
namespace v1 = plaza::messaging::v1;

int64_t OpenDirect(Cluster& cluster, const Account& account, const Account& peer) {
  grpc::ClientContext context;
  AuthorizeWithDeadline(context, account);
  v1::OpenDirectConversationRequest request;
  request.set_peer_user_id(peer.user_id);
  v1::OpenDirectConversationResponse response;
  auto status = cluster.Messaging()->OpenDirectConversation(&context, request, &response);
  INFO(status.error_message());
  REQUIRE(status.ok());
  return response.conversation().conversation_id();
}

// Two friends with a direct conversation, and a Sync cursor for the receiver from before any
// message.
struct Chat {
  Account sender;
  Account receiver;
  int64_t conversation_id = 0;
  std::string receiver_cursor;

  explicit Chat(Cluster& cluster)
      : sender(cluster.SignUp("Sender", "sender-phone")),
        receiver(cluster.SignUp("Receiver", "receiver-phone")) {
    cluster.BeFriends(sender, receiver);
    conversation_id = OpenDirect(cluster, sender, receiver);
    SyncMessages(cluster, receiver, receiver_cursor, conversation_id);
  }
};

// Sends `count` messages one after another, as a client app would: each with its own client id,
// retried with the same id until acknowledged. `fault` runs once, after `fault_after`
// acknowledgements, while the sends go on. Then checks that the receiver's Sync returns every
// acknowledged message exactly once, with the sequence it was acknowledged with, in order, and
// that PostgreSQL holds as many as were acknowledged. Returns how many attempts failed.
int SendThroughFault(Cluster& cluster, int count, int fault_after,
                     const std::function<void()>& fault) {
  Chat chat(cluster);
  std::map<std::string, int64_t> acknowledged;  // client id -> seq
  std::atomic<int> acked{0};
  int failed_attempts = 0;
  std::thread faulting([&] {
    while (acked < fault_after) std::this_thread::sleep_for(1ms);
    fault();
  });
  auto stub = cluster.Messaging();
  for (int i = 0; i < count; ++i) {
    std::string client_id = "m-" + std::to_string(i);
    v1::SendMessageResponse response;
    auto deadline = std::chrono::steady_clock::now() + 60s;
    grpc::Status status;
    while (!(status = Send(*stub, chat.sender, chat.conversation_id, client_id,
                           "message " + std::to_string(i), &response))
                .ok() &&
           std::chrono::steady_clock::now() < deadline) {
      // Refusals would be bugs; only outages are retried.
      INFO(status.error_code() << " " << status.error_message());
      REQUIRE((status.error_code() == grpc::StatusCode::UNAVAILABLE ||
               status.error_code() == grpc::StatusCode::UNKNOWN ||
               status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED ||
               status.error_code() == grpc::StatusCode::ABORTED ||
               status.error_code() == grpc::StatusCode::INTERNAL));
      ++failed_attempts;
      std::this_thread::sleep_for(50ms);
    }
    INFO(status.error_message());
    REQUIRE(status.ok());
    acknowledged[client_id] = response.message().seq();
    ++acked;
  }
  faulting.join();

  auto messages = SyncMessages(cluster, chat.receiver, chat.receiver_cursor, chat.conversation_id);
  REQUIRE(messages.size() == static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) {
    const auto& message = messages[i];
    CHECK(message.seq() == i + 1);
    CHECK(message.client_message_id() == "m-" + std::to_string(i));
    CHECK(acknowledged[message.client_message_id()] == message.seq());
    CHECK(message.content().text().text() == "message " + std::to_string(i));
  }
  pqxx::connection connection(cluster.pg_url());
  pqxx::work work(connection);
  CHECK(work.exec_params1("SELECT count(*) FROM messaging.messages WHERE conversation_id = $1",
                          chat.conversation_id)[0]
            .as<int>() == count);
  return failed_attempts;
}

TEST_CASE("friends chat live; an offline device catches up through Sync", "[e2e]") {
  Cluster cluster;
  Account mei = cluster.SignUp("Mei", "mei-phone");
  Account lei = cluster.SignUp("Lei", "lei-phone");
  cluster.BeFriends(mei, lei);
  int64_t chat = OpenDirect(cluster, mei, lei);
  std::string lei_cursor;
  SyncMessages(cluster, lei, lei_cursor, chat);

  auto stub = cluster.Messaging();
  {
    PushClient lei_phone(cluster.Connect(), lei.tokens.access_token());
    REQUIRE(lei_phone.Connected());
    v1::SendMessageResponse sent;
    REQUIRE(Send(*stub, mei, chat, "live-1", "你好 Lei", &sent).ok());
    auto live = NextMessage(lei_phone);
    REQUIRE(live.has_value());
    CHECK(live->content().text().text() == "你好 Lei");
    CHECK(live->seq() == sent.message().seq());
    CHECK(SyncMessages(cluster, lei, lei_cursor, chat).size() == 1);
  }  // Lei's phone goes offline

  for (int i = 0; i < 5; ++i) {
    v1::SendMessageResponse sent;
    REQUIRE(
        Send(*stub, mei, chat, "offline-" + std::to_string(i), "missed " + std::to_string(i), &sent)
            .ok());
  }
  PushClient lei_phone(cluster.Connect(), lei.tokens.access_token());
  REQUIRE(lei_phone.Connected());
  auto missed = SyncMessages(cluster, lei, lei_cursor, chat);
  REQUIRE(missed.size() == 5);
  for (int i = 0; i < 5; ++i)
    CHECK(missed[i].content().text().text() == "missed " + std::to_string(i));

  // Read on the phone; the unread count is 0 everywhere.
  grpc::ClientContext context;
  AuthorizeWithDeadline(context, lei);
  v1::MarkReadRequest read;
  read.set_conversation_id(chat);
  read.set_read_seq(missed.back().seq());
  v1::MarkReadResponse marked;
  REQUIRE(stub->MarkRead(&context, read, &marked).ok());
  CHECK(marked.conversation().unread_count() == 0);
  CHECK(marked.total_unread_count() == 0);
}

TEST_CASE("plaza-messaging killed in the middle of sends loses and duplicates nothing", "[e2e]") {
  Cluster cluster;
  int failed = SendThroughFault(cluster, 90, 30, [&] {
    cluster.messaging().Signal(SIGKILL);
    cluster.messaging().Wait(10s);
    std::this_thread::sleep_for(300ms);
    cluster.StartMessaging();
  });
  CHECK(failed > 0);  // the outage did fall among the sends
}

TEST_CASE("PostgreSQL crashing in the middle of sends loses and duplicates nothing", "[e2e]") {
  Cluster cluster({.own_postgres = true});
  int failed = SendThroughFault(cluster, 90, 30, [&] {
    cluster.postgres().Crash();
    std::this_thread::sleep_for(500ms);
    cluster.postgres().Start();
  });
  CHECK(failed > 0);
}

TEST_CASE("Redis going away in the middle of sends loses and duplicates nothing", "[e2e]") {
  Cluster cluster;
  // Redis only carries pushes and revocations: sends go on.
  SendThroughFault(cluster, 90, 30, [&] {
    cluster.redis().Stop();
    std::this_thread::sleep_for(500ms);
    cluster.redis().Start();
  });
}

}  // namespace chat_e2e
