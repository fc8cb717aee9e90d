// Messaging end to end inside one process: the real service, store, interceptors and gRPC
// server against a fresh PostgreSQL database and a real Redis, with identity's real
// InternalService (same database) answering friendship checks. Time is a FakeClock shared by
// everything, so the recall and edit windows are tested without sleeping.

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "plaza/events/announcements.h"
#include "plaza/testing/rpc_call.h"
#include "plaza/testing/testing.h"
#include "services/testing/in_process_services.h"

namespace v1 = plaza::messaging::v1;
namespace gv1 = plaza::groups::v1;
using plaza::events::v1::Event;

namespace {

using User = plaza::testing::TestUser;

// Messaging with identity's internal API and groups in-process, plus what the tests ask of them.
struct Messaging : plaza::testing::InProcessServices {
  // What identity's service does after a block or an unfriending, waiting until messaging has
  // heard it (the announcement travels through Redis).
  void AnnounceRelationChange(const User& a, const User& b) {
    REQUIRE(plaza::events::Announce(redis, plaza::events::kRelationChangesChannel,
                                    plaza::events::EncodeRelationChange(a.user_id, b.user_id))
                .ok());
    for (int i = 0; i < 200 && relations->CheckCanMessage(a.user_id, b.user_id).ok(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
};

using plaza::testing::CallAs;
using plaza::testing::Method;
using plaza::testing::Ok;
using plaza::testing::Outcome;
using plaza::testing::Random;
using plaza::testing::Refused;

#define STUB(name) &v1::MessagingService::Stub::name
#define GROUPS(name) &gv1::GroupsService::Stub::name

int64_t OpenDirect(Messaging& m, const User& user, const User& peer) {
  v1::OpenDirectConversationRequest request;
  request.set_peer_user_id(peer.user_id);
  return Ok(m, STUB(OpenDirectConversation), user, request).conversation().conversation_id();
}

// Makes the two friends and returns their direct conversation.
int64_t FriendsChat(Messaging& m, const User& user, const User& peer) {
  m.BeFriends(user, peer);
  return OpenDirect(m, user, peer);
}

v1::SendMessageRequest TextRequest(int64_t conversation_id, const std::string& text,
                                   const std::string& client_id = "") {
  v1::SendMessageRequest request;
  request.set_conversation_id(conversation_id);
  request.set_client_message_id(client_id.empty() ? "c-" + std::to_string(Random()()) : client_id);
  request.mutable_content()->mutable_text()->set_text(text);
  return request;
}

v1::Message Send(Messaging& m, const User& user, int64_t conversation_id, const std::string& text) {
  return Ok(m, STUB(SendMessage), user, TextRequest(conversation_id, text)).message();
}

// Syncs from `cursor` until nothing more is ready; returns every page's changes in order.
std::vector<v1::ConversationChanges> SyncAll(Messaging& m, const User& user, std::string& cursor,
                                             int page_size = 50, int64_t* badge = nullptr) {
  std::vector<v1::ConversationChanges> all;
  for (int page = 0; page < 1000; ++page) {
    v1::SyncRequest request;
    request.set_cursor(cursor);
    request.set_page_size(page_size);
    auto response = Ok(m, STUB(Sync), user, request);
    for (const auto& changes : response.changes()) all.push_back(changes);
    cursor = response.cursor();
    if (!response.has_more()) {
      if (badge != nullptr) *badge = response.total_unread_count();
      return all;
    }
  }
  FAIL("Sync never finished");
  return all;
}

std::vector<std::string> Texts(const google::protobuf::RepeatedPtrField<v1::Message>& messages) {
  std::vector<std::string> texts;
  for (const auto& message : messages) {
    texts.push_back(message.state() == v1::MESSAGE_STATE_RECALLED
                        ? "<recalled>"
                        : message.content().text().text());
  }
  return texts;
}

std::vector<std::string> HistoryTexts(Messaging& m, const User& user, int64_t conversation_id) {
  v1::GetHistoryRequest request;
  request.set_conversation_id(conversation_id);
  request.set_page_size(200);
  return Texts(Ok(m, STUB(GetHistory), user, request).messages());
}

// A group made through groups, as an app would: the first member owns it and befriends the
// others. Its conversation starts with groups' notice of the creation.
int64_t CreateGroup(Messaging& m, const std::vector<const User*>& members) {
  gv1::CreateGroupRequest request;
  request.set_client_request_id("g-" + std::to_string(Random()()));
  request.set_name("Group");
  for (size_t i = 1; i < members.size(); ++i) {
    m.BeFriends(*members[0], *members[i]);
    request.add_member_ids(members[i]->user_id);
  }
  return Ok(m, GROUPS(CreateGroup), *members[0], request).group().group_id();
}

}  // namespace

TEST_CASE(
    "Friends chat: ids, sequences, history, pushes to the peer and the sender's other devices",
    "[messaging][db]") {
  Messaging m;
  User mei = m.NewUser("Mei");
  User mei_laptop = m.Device(mei.user_id, "laptop");
  User lei = m.NewUser("Lei");
  int64_t chat = FriendsChat(m, mei, lei);
  CHECK(OpenDirect(m, lei, mei) == chat);  // one conversation per pair

  auto first = Send(m, mei, chat, "你好");
  auto second = Send(m, lei, chat, "hello back");
  CHECK(first.seq() == 1);
  CHECK(second.seq() == 2);
  CHECK(first.message_id() != second.message_id());
  CHECK(first.sender_id() == mei.user_id);
  CHECK(first.send_time().seconds() > 0);
  CHECK(HistoryTexts(m, lei, chat) == std::vector<std::string>{"你好", "hello back"});

  // The peer's device and the sender's other device hear of it; the sending device does not.
  auto to_lei = m.probe.EventsFor(lei.user_id, "phone", 1);
  REQUIRE(!to_lei.empty());
  CHECK(to_lei[0].message_changed().message().content().text().text() == "你好");
  auto to_laptop = m.probe.EventsFor(mei.user_id, "laptop", 2);
  CHECK(to_laptop.size() == 2);
  auto to_phone = m.probe.EventsFor(mei.user_id, "phone", 1, std::chrono::milliseconds(300));
  REQUIRE(to_phone.size() == 1);  // only Lei's message
  CHECK(to_phone[0].message_changed().message().sender_id() == lei.user_id);

  // Unread: Lei's message is unread for Mei; Mei's own are not.
  v1::GetConversationRequest get;
  get.set_conversation_id(chat);
  auto view = Ok(m, STUB(GetConversation), mei_laptop, get).conversation();
  CHECK(view.kind() == v1::CONVERSATION_KIND_DIRECT);
  CHECK(view.peer_user_id() == lei.user_id);
  CHECK(view.unread_count() == 1);
  CHECK(view.last_message().content().text().text() == "hello back");
}

TEST_CASE("Only friends can open or write a direct chat, and a block stops it at once",
          "[messaging][db]") {
  Messaging m;
  User mei = m.NewUser("Mei");
  User lei = m.NewUser("Lei");
  v1::OpenDirectConversationRequest open;
  open.set_peer_user_id(lei.user_id);
  CHECK(Refused(m, STUB(OpenDirectConversation), mei, open,
                grpc::StatusCode::FAILED_PRECONDITION) == "NOT_FRIENDS");
  open.set_peer_user_id(mei.user_id);
  CHECK(Refused(m, STUB(OpenDirectConversation), mei, open, grpc::StatusCode::INVALID_ARGUMENT) ==
        "PEER_INVALID");

  int64_t chat = FriendsChat(m, mei, lei);
  Send(m, mei, chat, "before");
  REQUIRE(m.identity_store.Block(lei.user_id, mei.user_id).ok());
  m.AnnounceRelationChange(lei, mei);
  CHECK(Refused(m, STUB(SendMessage), mei, TextRequest(chat, "after"),
                grpc::StatusCode::FAILED_PRECONDITION) == "BLOCKED");
  CHECK(Refused(m, STUB(SendMessage), lei, TextRequest(chat, "after"),
                grpc::StatusCode::FAILED_PRECONDITION) == "BLOCKED");
  CHECK(HistoryTexts(m, lei, chat) == std::vector<std::string>{"before"});

  // A third user cannot see, write or even learn of the conversation.
  User zhao = m.NewUser("Zhao");
  CHECK(Refused(m, STUB(SendMessage), zhao, TextRequest(chat, "hi"), grpc::StatusCode::NOT_FOUND) ==
        "CONVERSATION_NOT_FOUND");
  v1::GetHistoryRequest history;
  history.set_conversation_id(chat);
  CHECK(Refused(m, STUB(GetHistory), zhao, history, grpc::StatusCode::NOT_FOUND) ==
        "CONVERSATION_NOT_FOUND");
  v1::GetConversationRequest get;
  get.set_conversation_id(chat);
  CHECK(Refused(m, STUB(GetConversation), zhao, get, grpc::StatusCode::NOT_FOUND) ==
        "CONVERSATION_NOT_FOUND");

  // No token, no answer.
  v1::GetConversationResponse response;
  CHECK(CallAs(*m.messaging, STUB(GetConversation), nullptr, get, &response).code ==
        grpc::StatusCode::UNAUTHENTICATED);
}

TEST_CASE("A friendship is asked of identity once, then remembered until a change is announced",
          "[messaging][db]") {
  Messaging m;
  User mei = m.NewUser("Mei");
  User lei = m.NewUser("Lei");
  int64_t chat = FriendsChat(m, mei, lei);
  REQUIRE(m.relations->CheckCanMessage(mei.user_id, lei.user_id).ok());
  // Unfriended in identity's database without an announcement: still remembered.
  REQUIRE(m.identity_store.RemoveFriend(lei.user_id, mei.user_id).ok());
  CHECK(m.relations->CheckCanMessage(mei.user_id, lei.user_id).ok());
  CHECK(m.relations->CheckCanMessage(lei.user_id, mei.user_id).ok());  // either direction
  m.AnnounceRelationChange(lei, mei);
  auto refused = m.relations->CheckCanMessage(mei.user_id, lei.user_id);
  CHECK(plaza::ReasonOf(refused) == "NOT_FRIENDS");
  CHECK(Refused(m, STUB(SendMessage), mei, TextRequest(chat, "still there?"),
                grpc::StatusCode::FAILED_PRECONDITION) == "NOT_FRIENDS");
  CHECK(HistoryTexts(m, lei, chat).empty());
}

TEST_CASE("Bad input is refused with a reason and stores nothing", "[messaging][db]") {
  Messaging m;
  User mei = m.NewUser("Mei");
  User lei = m.NewUser("Lei");
  int64_t chat = FriendsChat(m, mei, lei);
  auto refused = [&](v1::SendMessageRequest request, grpc::StatusCode code) {
    return Refused(m, STUB(SendMessage), mei, request, code);
  };
  CHECK(refused(TextRequest(chat, std::string(16 * 1024 + 1, 'a')),
                grpc::StatusCode::INVALID_ARGUMENT) == "TEXT_INVALID");
  CHECK(refused(TextRequest(chat, "bell\x07"), grpc::StatusCode::INVALID_ARGUMENT) ==
        "TEXT_INVALID");
  CHECK(refused(TextRequest(chat, "hi", "has space"), grpc::StatusCode::INVALID_ARGUMENT) ==
        "CLIENT_MESSAGE_ID_INVALID");
  CHECK(refused(TextRequest(0, "hi"), grpc::StatusCode::INVALID_ARGUMENT) ==
        "CONVERSATION_ID_INVALID");
  v1::SendMessageRequest empty = TextRequest(chat, "x");
  empty.clear_content();
  CHECK(refused(empty, grpc::StatusCode::INVALID_ARGUMENT) == "CONTENT_EMPTY");
  v1::SendMessageRequest card = TextRequest(chat, "x");
  card.mutable_content()->mutable_card()->set_type("plaza.payments.red_packet");
  CHECK(refused(card, grpc::StatusCode::PERMISSION_DENIED) == "CONTENT_NOT_ALLOWED");
  v1::SendMessageRequest all = TextRequest(chat, "hi all");
  all.mutable_content()->mutable_mentions()->set_all(true);
  CHECK(refused(all, grpc::StatusCode::INVALID_ARGUMENT) == "MENTIONS_INVALID");
  v1::SendMessageRequest reply = TextRequest(chat, "re");
  reply.mutable_content()->set_reply_to_seq(5);  // no message 5 yet
  CHECK(refused(reply, grpc::StatusCode::INVALID_ARGUMENT) == "REPLY_INVALID");
  CHECK(refused(TextRequest(chat + 1, "hi"), grpc::StatusCode::NOT_FOUND) ==
        "CONVERSATION_NOT_FOUND");

  // Nothing was stored: the first real message is still number 1.
  CHECK(Send(m, mei, chat, "first").seq() == 1);
  reply.mutable_content()->set_reply_to_seq(1);
  CHECK(Ok(m, STUB(SendMessage), mei, reply).message().content().reply_to_seq() == 1);

  v1::SyncRequest sync;
  sync.set_cursor("garbage");
  CHECK(Refused(m, STUB(Sync), mei, sync, grpc::StatusCode::INVALID_ARGUMENT) == "CURSOR_INVALID");
  v1::SearchMessagesRequest search;
  search.set_query("!!!");
  CHECK(Refused(m, STUB(SearchMessages), mei, search, grpc::StatusCode::INVALID_ARGUMENT) ==
        "QUERY_INVALID");
  v1::DeleteMessagesRequest del;
  del.set_conversation_id(chat);
  CHECK(Refused(m, STUB(DeleteMessages), mei, del, grpc::StatusCode::INVALID_ARGUMENT) ==
        "SEQS_INVALID");
  del.add_seqs(99);
  CHECK(Refused(m, STUB(DeleteMessages), mei, del, grpc::StatusCode::NOT_FOUND) ==
        "MESSAGE_NOT_FOUND");
}

TEST_CASE("A retried send is stored once and answered with the first result", "[messaging][db]") {
  Messaging m;
  User mei = m.NewUser("Mei");
  User lei = m.NewUser("Lei");
  int64_t chat = FriendsChat(m, mei, lei);
  auto request = TextRequest(chat, "once", "retry-1");
  auto first = Ok(m, STUB(SendMessage), mei, request);
  CHECK_FALSE(first.duplicate());
  Send(m, lei, chat, "in between");
  // Even with different content, the client id decides.
  request.mutable_content()->mutable_text()->set_text("changed on retry");
  auto again = Ok(m, STUB(SendMessage), mei, request);
  CHECK(again.duplicate());
  CHECK(again.message().message_id() == first.message().message_id());
  CHECK(again.message().seq() == first.message().seq());
  CHECK(again.message().content().text().text() == "once");
  CHECK(HistoryTexts(m, mei, chat) == std::vector<std::string>{"once", "in between"});

  // Concurrent retries of one send: still one message.
  auto racing = TextRequest(chat, "raced", "retry-2");
  std::vector<std::thread> threads;
  std::vector<int64_t> seqs(8);
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      v1::SendMessageResponse response;
      if (CallAs(*m.messaging, STUB(SendMessage), &mei, racing, &response).ok())
        seqs[i] = response.message().seq();
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(std::set<int64_t>(seqs.begin(), seqs.end()) == std::set<int64_t>{3});
  CHECK(HistoryTexts(m, mei, chat).size() == 3);
}

TEST_CASE("Many senders in one conversation get unique gap-free sequences", "[messaging][db]") {
  Messaging m;
  constexpr int kSenders = 8;
  constexpr int kEach = 25;
  std::vector<User> users;
  std::vector<const User*> members;
  for (int i = 0; i < kSenders; ++i) users.push_back(m.NewUser("u" + std::to_string(i)));
  for (const auto& user : users) members.push_back(&user);
  int64_t group = CreateGroup(m, members);
  std::vector<std::vector<int64_t>> seqs(kSenders);
  std::vector<std::thread> threads;
  for (int i = 0; i < kSenders; ++i) {
    threads.emplace_back([&, i] {
      for (int j = 0; j < kEach; ++j) {
        auto request = TextRequest(group, std::to_string(i) + ":" + std::to_string(j),
                                   "s" + std::to_string(i) + "-" + std::to_string(j));
        v1::SendMessageResponse response;
        // A retry after a failure uses the same client id, as a client would.
        for (int attempt = 0; attempt < 5; ++attempt) {
          if (CallAs(*m.messaging, STUB(SendMessage), &users[i], request, &response).ok()) break;
        }
        seqs[i].push_back(response.message().seq());
      }
    });
  }
  for (auto& thread : threads) thread.join();
  std::set<int64_t> all;
  for (const auto& sender : seqs) {
    CHECK(std::is_sorted(sender.begin(), sender.end()));  // each sender's order is kept
    all.insert(sender.begin(), sender.end());
  }
  CHECK(all.size() == kSenders * kEach);
  CHECK(*all.begin() == 2);  // after groups' notice of the creation
  CHECK(*all.rbegin() == kSenders * kEach + 1);
  auto stored = m.pg.Transact([&](pqxx::work& tx) -> absl::StatusOr<std::pair<int64_t, int64_t>> {
    auto row = tx.exec_params1(
        "SELECT count(*), count(DISTINCT client_message_id) FROM messaging.messages "
        "WHERE conversation_id = $1 AND sender_id <> 0",
        group);
    return std::pair{row[0].as<int64_t>(), row[1].as<int64_t>()};
  });
  REQUIRE(stored.ok());
  CHECK(stored->first == kSenders * kEach);
  CHECK(stored->second == kSenders * kEach);
}

TEST_CASE("Sync brings every device the same state, in pages, and only what changed",
          "[messaging][db]") {
  Messaging m;
  User mei = m.NewUser("Mei");
  User mei_pad = m.Device(mei.user_id, "pad");
  User lei = m.NewUser("Lei");
  User zhao = m.NewUser("Zhao");
  m.BeFriends(mei, lei);
  m.BeFriends(mei, zhao);
  int64_t with_lei = OpenDirect(m, mei, lei);
  int64_t with_zhao = OpenDirect(m, mei, zhao);
  int64_t group = CreateGroup(m, {&mei, &lei, &zhao});
  for (int i = 0; i < 3; ++i) Send(m, lei, with_lei, "lei " + std::to_string(i));
  Send(m, zhao, with_zhao, "zhao 0");
  Send(m, zhao, group, "group 0");

  // A new device: one state per conversation, to load history from.
  std::string pad_cursor;
  int64_t badge = 0;
  auto full = SyncAll(m, mei_pad, pad_cursor, 2, &badge);
  REQUIRE(full.size() == 3);
  for (const auto& changes : full) CHECK(changes.reset());
  CHECK(badge == 3 + 1 + 2);  // the group's notice counts too

  // Nothing changed: nothing returned.
  CHECK(SyncAll(m, mei_pad, pad_cursor).empty());

  // The phone reads Lei's chat and mutes Zhao's; the pad learns both, and the new messages.
  v1::MarkReadRequest read;
  read.set_conversation_id(with_lei);
  read.set_read_seq(3);
  CHECK(Ok(m, STUB(MarkRead), mei, read).total_unread_count() == 3);
  v1::UpdateConversationSettingsRequest mute;
  mute.set_conversation_id(with_zhao);
  mute.set_muted(true);
  Ok(m, STUB(UpdateConversationSettings), mei, mute);
  Send(m, lei, with_lei, "lei 3");
  Send(m, lei, group, "group 1");

  auto changes = SyncAll(m, mei_pad, pad_cursor, 50, &badge);
  std::map<int64_t, v1::ConversationChanges> by_id;
  for (const auto& change : changes) by_id[change.conversation().conversation_id()] = change;
  REQUIRE(by_id.size() == 3);
  CHECK(Texts(by_id[with_lei].messages()) == std::vector<std::string>{"lei 3"});
  CHECK(by_id[with_lei].conversation().read_seq() == 3);
  CHECK(by_id[with_lei].conversation().unread_count() == 1);
  CHECK(by_id[with_zhao].conversation().settings().muted());
  CHECK(by_id[with_zhao].messages().empty());
  CHECK(Texts(by_id[group].messages()) == std::vector<std::string>{"group 1"});
  CHECK(badge == 1 + 3);  // Zhao's chat is muted

  // The read reached the pad as a push too.
  auto pad_events = m.probe.EventsFor(mei.user_id, "pad", 100, std::chrono::milliseconds(500));
  CHECK(std::any_of(pad_events.begin(), pad_events.end(), [&](const Event& event) {
    return event.has_conversation_changed() &&
           event.conversation_changed().conversation().read_seq() == 3;
  }));

  // Both of Mei's devices now see the same conversations.
  std::string phone_cursor;
  auto phone = SyncAll(m, mei, phone_cursor);
  v1::ListConversationsRequest list;
  auto listed_phone = Ok(m, STUB(ListConversations), mei, list);
  auto listed_pad = Ok(m, STUB(ListConversations), mei_pad, list);
  CHECK(listed_phone.SerializeAsString() == listed_pad.SerializeAsString());
  CHECK(listed_phone.conversations_size() == 3);
  CHECK(listed_phone.conversations(0).conversation_id() == group);  // newest activity first
}

TEST_CASE("Sync resets a conversation with too many changes and keeps every message across pages",
          "[messaging][db]") {
  Messaging m;
  User mei = m.NewUser("Mei");
  User lei = m.NewUser("Lei");
  int64_t chat = FriendsChat(m, mei, lei);
  std::string cursor;
  SyncAll(m, lei, cursor);
  for (int i = 0; i < 120; ++i) Send(m, mei, chat, std::to_string(i));
  auto changes = SyncAll(m, lei, cursor);
  REQUIRE(changes.size() == 1);
  CHECK(changes[0].reset());
  CHECK(changes[0].messages_size() == 50);
  CHECK(changes[0].messages(49).content().text().text() == "119");

  Send(m, mei, chat, "after the reset");
  changes = SyncAll(m, lei, cursor);
  REQUIRE(changes.size() == 1);
  CHECK_FALSE(changes[0].reset());
  CHECK(Texts(changes[0].messages()) == std::vector<std::string>{"after the reset"});
}

TEST_CASE("Recall within 2 minutes by the sender only; edit within 15 with history",
          "[messaging][db]") {
  Messaging m;
  User mei = m.NewUser("Mei");
  User lei = m.NewUser("Lei");
  int64_t chat = FriendsChat(m, mei, lei);
  std::string lei_cursor;
  SyncAll(m, lei, lei_cursor);
  auto oops = Send(m, mei, chat, "oops");
  auto typo = Send(m, mei, chat, "helo");

  v1::RecallMessageRequest recall;
  recall.set_conversation_id(chat);
  recall.set_seq(oops.seq());
  CHECK(Refused(m, STUB(RecallMessage), lei, recall, grpc::StatusCode::PERMISSION_DENIED) ==
        "NOT_SENDER");
  auto recalled = Ok(m, STUB(RecallMessage), mei, recall).message();
  CHECK(recalled.state() == v1::MESSAGE_STATE_RECALLED);
  CHECK_FALSE(recalled.has_content());
  CHECK(Refused(m, STUB(RecallMessage), mei, recall, grpc::StatusCode::FAILED_PRECONDITION) ==
        "MESSAGE_RECALLED");

  v1::EditMessageRequest edit;
  edit.set_conversation_id(chat);
  edit.set_seq(typo.seq());
  edit.mutable_text()->set_text("hello");
  CHECK(Refused(m, STUB(EditMessage), lei, edit, grpc::StatusCode::PERMISSION_DENIED) ==
        "NOT_SENDER");
  auto edited = Ok(m, STUB(EditMessage), mei, edit).message();
  CHECK(edited.edit_count() == 1);
  CHECK(edited.content().text().text() == "hello");
  edit.mutable_text()->set_text("hello!");
  Ok(m, STUB(EditMessage), mei, edit);
  v1::GetEditHistoryRequest revisions;
  revisions.set_conversation_id(chat);
  revisions.set_seq(typo.seq());
  auto history = Ok(m, STUB(GetEditHistory), lei, revisions);
  REQUIRE(history.revisions_size() == 2);
  CHECK(history.revisions(0).content().text().text() == "helo");
  CHECK(history.revisions(1).content().text().text() == "hello");

  // Lei's device gets the final state of both.
  auto changes = SyncAll(m, lei, lei_cursor);
  REQUIRE(changes.size() == 1);
  CHECK(Texts(changes[0].messages()) == std::vector<std::string>{"<recalled>", "hello!"});
  auto lei_events = m.probe.EventsFor(lei.user_id, "phone", 5);
  CHECK(lei_events.size() == 5);  // two sends, a recall, two edits

  // Windows: 2 minutes to recall, 15 to edit.
  auto late = Send(m, mei, chat, "late");
  m.clock.Advance(std::chrono::minutes(3));
  recall.set_seq(late.seq());
  CHECK(Refused(m, STUB(RecallMessage), mei, recall, grpc::StatusCode::FAILED_PRECONDITION) ==
        "RECALL_WINDOW_PASSED");
  edit.set_seq(late.seq());
  Ok(m, STUB(EditMessage), mei, edit);
  m.clock.Advance(std::chrono::minutes(13));
  CHECK(Refused(m, STUB(EditMessage), mei, edit, grpc::StatusCode::FAILED_PRECONDITION) ==
        "EDIT_WINDOW_PASSED");
  CHECK(HistoryTexts(m, lei, chat) == std::vector<std::string>{"<recalled>", "hello!", "hello!"});
}

TEST_CASE("Delete for me, clear history, hide, pin, forward", "[messaging][db]") {
  Messaging m;
  User mei = m.NewUser("Mei");
  User lei = m.NewUser("Lei");
  User zhao = m.NewUser("Zhao");
  m.BeFriends(mei, lei);
  m.BeFriends(mei, zhao);
  int64_t with_lei = OpenDirect(m, mei, lei);
  int64_t with_zhao = OpenDirect(m, mei, zhao);
  for (const char* text : {"a", "b", "c"}) Send(m, lei, with_lei, text);
  std::string cursor;
  SyncAll(m, mei, cursor);

  v1::DeleteMessagesRequest del;
  del.set_conversation_id(with_lei);
  del.add_seqs(2);
  Ok(m, STUB(DeleteMessages), mei, del);
  CHECK(HistoryTexts(m, mei, with_lei) == std::vector<std::string>{"a", "c"});
  CHECK(HistoryTexts(m, lei, with_lei) == std::vector<std::string>{"a", "b", "c"});  // only for me
  auto changes = SyncAll(m, mei, cursor);
  REQUIRE(changes.size() == 1);
  CHECK(std::vector<int64_t>(changes[0].deleted_seqs().begin(), changes[0].deleted_seqs().end()) ==
        std::vector<int64_t>{2});

  // Forward a and c to Zhao; the copies are new messages there, marked forwarded, stored once.
  v1::ForwardMessagesRequest forward;
  forward.set_source_conversation_id(with_lei);
  forward.add_seqs(1);
  forward.add_seqs(3);
  forward.set_target_conversation_id(with_zhao);
  forward.set_client_message_id("fw-1");
  auto forwarded = Ok(m, STUB(ForwardMessages), mei, forward);
  REQUIRE(forwarded.messages_size() == 2);
  CHECK(forwarded.messages(0).forwarded());
  Ok(m, STUB(ForwardMessages), mei, forward);  // a retry
  CHECK(HistoryTexts(m, zhao, with_zhao) == std::vector<std::string>{"a", "c"});
  forward.set_seqs(0, 2);  // deleted for Mei: not hers to forward
  CHECK(Refused(m, STUB(ForwardMessages), mei, forward, grpc::StatusCode::NOT_FOUND) ==
        "MESSAGE_NOT_FOUND");
  forward.set_seqs(0, 1);
  CHECK(Refused(m, STUB(ForwardMessages), zhao, forward, grpc::StatusCode::NOT_FOUND) ==
        "CONVERSATION_NOT_FOUND");

  v1::ClearHistoryRequest clear;
  clear.set_conversation_id(with_lei);
  auto cleared = Ok(m, STUB(ClearHistory), mei, clear).conversation();
  CHECK(cleared.cleared_seq() == 3);
  CHECK(cleared.unread_count() == 0);
  CHECK(HistoryTexts(m, mei, with_lei).empty());
  Send(m, lei, with_lei, "d");
  CHECK(HistoryTexts(m, mei, with_lei) == std::vector<std::string>{"d"});

  v1::UpdateConversationSettingsRequest settings;
  settings.set_conversation_id(with_lei);
  settings.set_hidden(true);
  Ok(m, STUB(UpdateConversationSettings), mei, settings);
  settings.set_conversation_id(with_zhao);
  settings.clear_hidden();
  settings.set_pinned(true);
  Ok(m, STUB(UpdateConversationSettings), mei, settings);
  auto listed = Ok(m, STUB(ListConversations), mei, v1::ListConversationsRequest());
  REQUIRE(listed.conversations_size() == 1);  // Lei's is hidden
  CHECK(listed.conversations(0).settings().pinned());
  Send(m, lei, with_lei, "e");  // a new message brings it back, below the pinned one
  listed = Ok(m, STUB(ListConversations), mei, v1::ListConversationsRequest());
  REQUIRE(listed.conversations_size() == 2);
  CHECK(listed.conversations(0).conversation_id() == with_zhao);
}

TEST_CASE("Read receipts show only when both users share them", "[messaging][db]") {
  Messaging m;
  User mei = m.NewUser("Mei");
  User lei = m.NewUser("Lei");
  int64_t chat = FriendsChat(m, mei, lei);
  Send(m, mei, chat, "did you read this?");
  v1::MarkReadRequest read;
  read.set_conversation_id(chat);
  read.set_read_seq(1);
  Ok(m, STUB(MarkRead), lei, read);
  v1::GetConversationRequest get;
  get.set_conversation_id(chat);
  CHECK(Ok(m, STUB(GetConversation), mei, get).conversation().peer_read_seq() == 0);  // default off

  v1::UpdateMessagingSettingsRequest on;
  on.mutable_settings()->set_read_receipts(true);
  Ok(m, STUB(UpdateMessagingSettings), mei, on);
  Send(m, mei, chat, "and this?");
  read.set_read_seq(2);
  Ok(m, STUB(MarkRead), lei, read);
  CHECK(Ok(m, STUB(GetConversation), mei, get).conversation().peer_read_seq() ==
        0);  // Lei keeps them off

  Ok(m, STUB(UpdateMessagingSettings), lei, on);
  Send(m, mei, chat, "now?");
  read.set_read_seq(3);
  Ok(m, STUB(MarkRead), lei, read);
  CHECK(Ok(m, STUB(GetConversation), mei, get).conversation().peer_read_seq() == 3);
  auto to_mei = m.probe.EventsFor(mei.user_id, "phone", 1);
  CHECK(std::any_of(to_mei.begin(), to_mei.end(), [](const Event& event) {
    return event.has_conversation_changed() &&
           event.conversation_changed().conversation().peer_read_seq() == 3;
  }));
  CHECK(Ok(m, STUB(GetMessagingSettings), mei, v1::GetMessagingSettingsRequest())
            .settings()
            .read_receipts());
}

TEST_CASE("Typing goes to the other members' devices and is never stored", "[messaging][db]") {
  Messaging m;
  User mei = m.NewUser("Mei");
  User lei = m.NewUser("Lei");
  int64_t chat = FriendsChat(m, mei, lei);
  v1::SendTypingRequest typing;
  typing.set_conversation_id(chat);
  typing.set_typing(true);
  Ok(m, STUB(SendTyping), mei, typing);
  auto to_lei = m.probe.EventsFor(lei.user_id, "phone", 1);
  REQUIRE(to_lei.size() == 1);
  CHECK(to_lei[0].typing().user_id() == mei.user_id);
  CHECK(m.probe.EventsFor(mei.user_id, "phone", 1, std::chrono::milliseconds(200)).empty());
  std::string cursor;
  SyncAll(m, lei, cursor);
  CHECK(HistoryTexts(m, lei, chat).empty());
  User zhao = m.NewUser("Zhao");
  CHECK(Refused(m, STUB(SendTyping), zhao, typing, grpc::StatusCode::NOT_FOUND) ==
        "CONVERSATION_NOT_FOUND");
}

TEST_CASE("Search finds Chinese without spaces and Latin words, only where the caller can read",
          "[messaging][db]") {
  Messaging m;
  User mei = m.NewUser("Mei");
  User lei = m.NewUser("Lei");
  User zhao = m.NewUser("Zhao");
  m.BeFriends(mei, lei);
  m.BeFriends(lei, zhao);
  int64_t mine = OpenDirect(m, mei, lei);
  int64_t theirs = OpenDirect(m, lei, zhao);
  Send(m, lei, mine, "你好，今天天气很好");
  Send(m, lei, mine, "Meeting at NOON tomorrow");
  Send(m, lei, theirs, "你好 Zhao, secret meeting");
  auto search = [&](const User& user, const std::string& query) {
    v1::SearchMessagesRequest request;
    request.set_query(query);
    return Texts(Ok(m, STUB(SearchMessages), user, request).messages());
  };
  CHECK(search(mei, "你好") == std::vector<std::string>{"你好，今天天气很好"});
  CHECK(search(mei, "天气") == std::vector<std::string>{"你好，今天天气很好"});
  CHECK(search(mei, "meeting noon") == std::vector<std::string>{"Meeting at NOON tomorrow"});
  CHECK(search(mei, "secret").empty());  // not Mei's conversation
  CHECK(search(lei, "你好").size() == 2);
  CHECK(search(zhao, "你好") == std::vector<std::string>{"你好 Zhao, secret meeting"});

  // Recalled messages leave the index.
  auto gone = Send(m, lei, mine, "temporary password 1234");
  CHECK(search(mei, "password").size() == 1);
  v1::RecallMessageRequest recall;
  recall.set_conversation_id(mine);
  recall.set_seq(gone.seq());
  Ok(m, STUB(RecallMessage), lei, recall);
  CHECK(search(mei, "password").empty());
}

TEST_CASE("Group members see only messages from their time in the group", "[messaging][db]") {
  Messaging m;
  User mei = m.NewUser("Mei");
  User lei = m.NewUser("Lei");
  User zhao = m.NewUser("Zhao");
  User wu = m.NewUser("Wu");
  int64_t group = CreateGroup(m, {&mei, &lei, &zhao});
  Send(m, mei, group, "before Wu");
  std::string wu_cursor;

  m.BeFriends(mei, wu);
  gv1::AddMembersRequest add;
  add.set_group_id(group);
  add.add_user_ids(wu.user_id);
  Ok(m, GROUPS(AddMembers), mei, add);
  Send(m, lei, group, "welcome Wu");
  CHECK(HistoryTexts(m, wu, group) ==
        std::vector<std::string>{"", "welcome Wu"});  // the notice, then
  SyncAll(m, wu, wu_cursor);

  gv1::RemoveMembersRequest remove;
  remove.set_group_id(group);
  remove.add_user_ids(zhao.user_id);
  Ok(m, GROUPS(RemoveMembers), mei, remove);
  std::string zhao_cursor;
  SyncAll(m, zhao, zhao_cursor);
  Send(m, mei, group, "after Zhao left");
  CHECK(SyncAll(m, zhao, zhao_cursor).empty());  // the group's life goes on without him

  // Zhao keeps what he saw, up to the notice about him, and sees nothing newer.
  auto zhao_history = HistoryTexts(m, zhao, group);
  CHECK(zhao_history.size() == 5);  // created, before Wu, Wu joined, welcome Wu, removed
  CHECK(std::find(zhao_history.begin(), zhao_history.end(), "after Zhao left") ==
        zhao_history.end());
  CHECK(Refused(m, STUB(SendMessage), zhao, TextRequest(group, "let me in"),
                grpc::StatusCode::PERMISSION_DENIED) == "NOT_A_MEMBER");
  v1::SearchMessagesRequest search;
  search.set_query("after");
  CHECK(Ok(m, STUB(SearchMessages), zhao, search).messages().empty());
  CHECK(Ok(m, STUB(SearchMessages), mei, search).messages_size() == 1);
  v1::GetConversationRequest get;
  get.set_conversation_id(group);
  CHECK(Ok(m, STUB(GetConversation), zhao, get).conversation().read_only());

  // Wu's sync brings the removal notice and the new message; Zhao's device heard of its removal.
  auto changes = SyncAll(m, wu, wu_cursor);
  REQUIRE(changes.size() == 1);
  CHECK(changes[0].messages_size() == 2);
  auto zhao_events = m.probe.EventsFor(zhao.user_id, "phone", 100, std::chrono::milliseconds(500));
  CHECK(std::any_of(zhao_events.begin(), zhao_events.end(), [](const Event& event) {
    return event.message_changed().message().content().system_notice().kind() ==
           "group.members_removed";
  }));
  CHECK(std::none_of(zhao_events.begin(), zhao_events.end(), [](const Event& event) {
    return event.message_changed().message().content().text().text() == "after Zhao left";
  }));

  // @all is for groups; mentions count as unread mentions for the named.
  auto mention = TextRequest(group, "@Lei look");
  mention.mutable_content()->mutable_mentions()->add_user_ids(lei.user_id);
  Ok(m, STUB(SendMessage), mei, mention);
  CHECK(Ok(m, STUB(GetConversation), lei, get).conversation().unread_mention_count() == 1);

  // Dissolving makes it read-only for everyone.
  gv1::DissolveGroupRequest dissolve;
  dissolve.set_group_id(group);
  Ok(m, GROUPS(DissolveGroup), mei, dissolve);
  CHECK(Refused(m, STUB(SendMessage), mei, TextRequest(group, "hello?"),
                grpc::StatusCode::FAILED_PRECONDITION) == "CONVERSATION_CLOSED");
}

// Messages `user` stored in the conversation.
int64_t SentBy(Messaging& m, int64_t conversation_id, const User& user) {
  return m.pg
      .Transact([&](pqxx::work& tx) -> absl::StatusOr<int64_t> {
        return tx
            .exec_params1(
                "SELECT count(*) FROM messaging.messages WHERE conversation_id = $1 AND "
                "sender_id = $2",
                conversation_id, user.user_id)[0]
            .as<int64_t>();
      })
      .value();
}

// Waits until messaging has heard groups' announcement of a change that stops `user` from
// sending (it travels through Redis, in milliseconds); bounded.
void AwaitRefusal(Messaging& m, int64_t group, const User& user) {
  for (int i = 0; i < 200 && m.group_policies->CheckCanSend(group, user.user_id, false).ok(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

TEST_CASE("Groups decide who may speak in a group; changes take effect at once",
          "[messaging][db]") {
  Messaging m;
  User mei = m.NewUser("Mei");
  User lei = m.NewUser("Lei");
  User zhao = m.NewUser("Zhao");
  User wu = m.NewUser("Wu");
  int64_t group = CreateGroup(m, {&mei, &lei, &zhao, &wu});
  Send(m, lei, group, "hello");  // Lei's answer is remembered from here on

  // A mute: refused with when it ends, nothing stored; refusals are not remembered, so the
  // mute's end lets Lei speak again.
  gv1::MuteMemberRequest mute;
  mute.set_group_id(group);
  mute.set_user_id(lei.user_id);
  mute.set_duration_seconds(600);
  Ok(m, GROUPS(MuteMember), mei, mute);
  AwaitRefusal(m, group, lei);
  v1::SendMessageResponse refused;
  auto muted =
      CallAs(*m.messaging, STUB(SendMessage), &lei, TextRequest(group, "hear me"), &refused);
  CHECK(muted.code == grpc::StatusCode::PERMISSION_DENIED);
  CHECK(muted.reason == "MUTED");
  CHECK(muted.message.find("until 20") != std::string::npos);
  CHECK(SentBy(m, group, lei) == 1);
  m.clock.Advance(std::chrono::seconds(601));
  Send(m, lei, group, "I'm back");

  // Mute-all: only the owner and admins speak; making Zhao an admin lets him.
  gv1::MuteAllRequest mute_all;
  mute_all.set_group_id(group);
  mute_all.set_muted(true);
  Ok(m, GROUPS(MuteAll), mei, mute_all);
  AwaitRefusal(m, group, lei);
  CHECK(Refused(m, STUB(SendMessage), lei, TextRequest(group, "quiet?"),
                grpc::StatusCode::PERMISSION_DENIED) == "ALL_MUTED");
  CHECK(Refused(m, STUB(SendMessage), zhao, TextRequest(group, "quiet?"),
                grpc::StatusCode::PERMISSION_DENIED) == "ALL_MUTED");
  Send(m, mei, group, "owner speaks");
  gv1::SetAdminRequest admin;
  admin.set_group_id(group);
  admin.set_user_id(zhao.user_id);
  admin.set_admin(true);
  Ok(m, GROUPS(SetAdmin), mei, admin);
  Send(m, zhao, group, "admin speaks");
  mute_all.set_muted(false);
  Ok(m, GROUPS(MuteAll), mei, mute_all);
  CHECK(SentBy(m, group, lei) == 2);

  // @all belongs to the owner and admins.
  auto everyone = TextRequest(group, "@all meeting");
  everyone.mutable_content()->mutable_mentions()->set_all(true);
  CHECK(Refused(m, STUB(SendMessage), lei, everyone, grpc::StatusCode::PERMISSION_DENIED) ==
        "MENTION_ALL_NOT_ALLOWED");
  Ok(m, STUB(SendMessage), zhao, everyone);
  everyone.set_client_message_id("owner-all");
  Ok(m, STUB(SendMessage), mei, everyone);
  CHECK(SentBy(m, group, lei) == 2);

  // A removed member is refused the moment groups answers the remover, although messaging
  // remembered that he could speak: membership is checked by the send itself.
  Send(m, lei, group, "last words");
  gv1::RemoveMembersRequest remove;
  remove.set_group_id(group);
  remove.add_user_ids(lei.user_id);
  Ok(m, GROUPS(RemoveMembers), mei, remove);
  CHECK(Refused(m, STUB(SendMessage), lei, TextRequest(group, "still here?"),
                grpc::StatusCode::PERMISSION_DENIED) == "NOT_A_MEMBER");
  CHECK(SentBy(m, group, lei) == 3);
  AwaitRefusal(m, group, lei);  // the removal's announcement is heard: Mei's answer is asked anew
  Send(m, mei, group, "bye Lei");

  // Groups unreachable: a member it was never asked about cannot send, and nothing is stored;
  // one it allowed a moment ago still can (until an announcement or a minute passes).
  m.groups_server.Shutdown();
  CHECK(Refused(m, STUB(SendMessage), wu, TextRequest(group, "anyone?"),
                grpc::StatusCode::UNAVAILABLE) == "GROUPS_UNAVAILABLE");
  CHECK(SentBy(m, group, wu) == 0);
  Send(m, mei, group, "still here");
}

// "read by N of M" for each of `seqs`, asked by their sender.
std::vector<std::pair<int, int>> ReadCounts(Messaging& m, const User& sender, int64_t group,
                                            const std::vector<int64_t>& seqs) {
  v1::GetReadCountsRequest request;
  request.set_conversation_id(group);
  for (int64_t seq : seqs) request.add_seqs(seq);
  std::vector<std::pair<int, int>> counts;
  auto response = Ok(m, STUB(GetReadCounts), sender, request);
  for (const auto& count : response.read_counts()) {
    counts.emplace_back(count.read_count(), count.audience_count());
  }
  return counts;
}

void MarkRead(Messaging& m, const User& user, int64_t conversation_id, int64_t seq) {
  v1::MarkReadRequest read;
  read.set_conversation_id(conversation_id);
  read.set_read_seq(seq);
  Ok(m, STUB(MarkRead), user, read);
}

// The kept counts of a group next to the same counts computed from the members' rows.
std::pair<std::string, std::string> PositionCounts(Messaging& m, int64_t group) {
  return m.pg
      .Transact([&](pqxx::work& tx) -> absl::StatusOr<std::pair<std::string, std::string>> {
        auto row = tx.exec_params1(
            "SELECT (SELECT coalesce(string_agg(position_kind || ':' || seq || '=' || members, "
            "' ' ORDER BY position_kind, seq), '') FROM messaging.group_positions "
            "WHERE conversation_id = $1), "
            "(SELECT coalesce(string_agg(k || ':' || s || '=' || n, ' ' ORDER BY k, s), '') FROM "
            "(SELECT 1 AS k, greatest(read_seq, first_visible_seq - 1) AS s, count(*) AS n "
            "FROM messaging.members WHERE conversation_id = $1 AND last_visible_seq IS NULL "
            "GROUP BY 2 UNION ALL SELECT 2, first_visible_seq, count(*) FROM messaging.members "
            "WHERE conversation_id = $1 AND last_visible_seq IS NULL GROUP BY 2) computed)",
            group);
        return std::pair{row[0].as<std::string>(), row[1].as<std::string>()};
      })
      .value();
}

TEST_CASE("Read by N of M: a read moves one count, whatever the group's size", "[messaging][db]") {
  Messaging m;
  User mei = m.NewUser("Mei");
  User lei = m.NewUser("Lei");
  User zhao = m.NewUser("Zhao");
  User wu = m.NewUser("Wu");
  User qian = m.NewUser("Qian");
  int64_t group = CreateGroup(m, {&mei, &lei, &zhao, &wu});
  auto first = Send(m, mei, group, "one");
  CHECK(ReadCounts(m, mei, group, {first.seq()}) == std::vector<std::pair<int, int>>{{0, 3}});

  MarkRead(m, lei, group, first.seq());
  MarkRead(m, zhao, group, first.seq() + 5);  // clamped to the newest
  CHECK(ReadCounts(m, mei, group, {first.seq()}) == std::vector<std::pair<int, int>>{{2, 3}});
  // Sending reads everything before it.
  auto second = Send(m, wu, group, "two");
  CHECK(ReadCounts(m, mei, group, {first.seq()}) == std::vector<std::pair<int, int>>{{3, 3}});
  CHECK(ReadCounts(m, wu, group, {second.seq()}) == std::vector<std::pair<int, int>>{{0, 3}});

  // A member who joins later is in neither count of earlier messages, even after reading all.
  m.BeFriends(mei, qian);
  gv1::AddMembersRequest add;
  add.set_group_id(group);
  add.add_user_ids(qian.user_id);
  Ok(m, GROUPS(AddMembers), mei, add);
  auto third = Send(m, mei, group, "three");
  MarkRead(m, qian, group, third.seq());
  CHECK(ReadCounts(m, wu, group, {second.seq()}) == std::vector<std::pair<int, int>>{{1, 3}});
  CHECK(ReadCounts(m, mei, group, {third.seq(), first.seq()}) ==
        std::vector<std::pair<int, int>>{{1, 4}, {3, 3}});

  // A member who leaves is in neither count any more.
  gv1::RemoveMembersRequest remove;
  remove.set_group_id(group);
  remove.add_user_ids(lei.user_id);
  Ok(m, GROUPS(RemoveMembers), mei, remove);
  CHECK(ReadCounts(m, mei, group, {first.seq()}) == std::vector<std::pair<int, int>>{{2, 2}});

  // Only the sender asks, about messages they can see, in groups, 1..100 at a time.
  v1::GetReadCountsRequest request;
  request.set_conversation_id(group);
  request.add_seqs(second.seq());
  CHECK(Refused(m, STUB(GetReadCounts), mei, request, grpc::StatusCode::PERMISSION_DENIED) ==
        "NOT_SENDER");
  request.set_seqs(0, third.seq() + 100);
  CHECK(Refused(m, STUB(GetReadCounts), mei, request, grpc::StatusCode::NOT_FOUND) ==
        "MESSAGE_NOT_FOUND");
  request.set_seqs(0, 0);
  CHECK(Refused(m, STUB(GetReadCounts), mei, request, grpc::StatusCode::INVALID_ARGUMENT) ==
        "SEQ_INVALID");
  request.clear_seqs();
  for (int seq = 1; seq <= 101; ++seq) request.add_seqs(seq);
  CHECK(Refused(m, STUB(GetReadCounts), mei, request, grpc::StatusCode::INVALID_ARGUMENT) ==
        "SEQS_INVALID");
  request.clear_seqs();
  request.add_seqs(first.seq());
  request.set_conversation_id(0);
  CHECK(Refused(m, STUB(GetReadCounts), mei, request, grpc::StatusCode::INVALID_ARGUMENT) ==
        "CONVERSATION_ID_INVALID");
  request.set_conversation_id(group);
  User stranger = m.NewUser("Stranger");
  CHECK(Refused(m, STUB(GetReadCounts), stranger, request, grpc::StatusCode::NOT_FOUND) ==
        "CONVERSATION_NOT_FOUND");
  int64_t chat = FriendsChat(m, mei, zhao);
  auto direct = Send(m, mei, chat, "hi");
  request.set_conversation_id(chat);
  request.set_seqs(0, direct.seq());
  CHECK(Refused(m, STUB(GetReadCounts), mei, request, grpc::StatusCode::FAILED_PRECONDITION) ==
        "NOT_A_GROUP");

  // Concurrent sends, reads and a join keep the counts equal to the members' rows.
  std::vector<const User*> members{&mei, &zhao, &wu, &qian};
  std::vector<std::thread> threads;
  for (size_t i = 0; i < members.size(); ++i) {
    threads.emplace_back([&, i] {
      for (int j = 0; j < 15; ++j) {
        if (j % 3 == 0) {
          v1::SendMessageResponse response;
          CallAs(*m.messaging, STUB(SendMessage), members[i],
                 TextRequest(group, "x", "storm-" + std::to_string(i) + "-" + std::to_string(j)),
                 &response);
        } else {
          v1::MarkReadRequest read;
          read.set_conversation_id(group);
          read.set_read_seq(third.seq() + j * 2);
          v1::MarkReadResponse response;
          CallAs(*m.messaging, STUB(MarkRead), members[i], read, &response);
        }
      }
    });
  }
  m.BeFriends(mei, lei);
  add.set_user_ids(0, lei.user_id);
  Ok(m, GROUPS(AddMembers), mei, add);
  for (auto& thread : threads) thread.join();
  auto [kept, computed] = PositionCounts(m, group);
  CHECK(kept == computed);
  CHECK_FALSE(kept.empty());
}

TEST_CASE("Every client method needs a token", "[messaging][db]") {
  Messaging m;
  std::vector<Outcome> outcomes;
  auto anonymous = [&](auto method, auto request) {
    typename decltype(plaza::testing::ResponseOf(method))::type response;
    outcomes.push_back(plaza::testing::Call(*m.messaging, method, "", request, &response));
  };
  anonymous(STUB(OpenDirectConversation), v1::OpenDirectConversationRequest());
  anonymous(STUB(ListConversations), v1::ListConversationsRequest());
  anonymous(STUB(GetConversation), v1::GetConversationRequest());
  anonymous(STUB(SendMessage), v1::SendMessageRequest());
  anonymous(STUB(GetHistory), v1::GetHistoryRequest());
  anonymous(STUB(Sync), v1::SyncRequest());
  anonymous(STUB(MarkRead), v1::MarkReadRequest());
  anonymous(STUB(GetReadCounts), v1::GetReadCountsRequest());
  anonymous(STUB(RecallMessage), v1::RecallMessageRequest());
  anonymous(STUB(EditMessage), v1::EditMessageRequest());
  anonymous(STUB(GetEditHistory), v1::GetEditHistoryRequest());
  anonymous(STUB(DeleteMessages), v1::DeleteMessagesRequest());
  anonymous(STUB(ForwardMessages), v1::ForwardMessagesRequest());
  anonymous(STUB(UpdateConversationSettings), v1::UpdateConversationSettingsRequest());
  anonymous(STUB(ClearHistory), v1::ClearHistoryRequest());
  anonymous(STUB(SendTyping), v1::SendTypingRequest());
  anonymous(STUB(SearchMessages), v1::SearchMessagesRequest());
  anonymous(STUB(GetMessagingSettings), v1::GetMessagingSettingsRequest());
  anonymous(STUB(UpdateMessagingSettings), v1::UpdateMessagingSettingsRequest());
  REQUIRE(outcomes.size() == 19);
  for (const auto& outcome : outcomes) {
    CHECK(outcome.code == grpc::StatusCode::UNAUTHENTICATED);
    CHECK(outcome.reason == "TOKEN_MISSING");
  }
}

TEST_CASE("The remaining refusals of the client API", "[messaging][db]") {
  Messaging m;
  User mei = m.NewUser("Mei");
  User lei = m.NewUser("Lei");
  int64_t chat = FriendsChat(m, mei, lei);
  v1::MarkReadRequest read;
  read.set_conversation_id(chat);
  CHECK(Refused(m, STUB(MarkRead), mei, read, grpc::StatusCode::INVALID_ARGUMENT) == "SEQ_INVALID");
  v1::ListConversationsRequest list;
  list.set_page_token("not a token");
  CHECK(Refused(m, STUB(ListConversations), mei, list, grpc::StatusCode::INVALID_ARGUMENT) ==
        "PAGE_TOKEN_INVALID");
  list.clear_page_token();
  list.set_page_size(-1);
  CHECK(Refused(m, STUB(ListConversations), mei, list, grpc::StatusCode::INVALID_ARGUMENT) ==
        "PAGE_SIZE_INVALID");

  // Only texts are edited.
  v1::SendMessageRequest sticker = TextRequest(chat, "x");
  sticker.mutable_content()->mutable_sticker()->set_sticker_id("smile");
  auto sent = Ok(m, STUB(SendMessage), mei, sticker).message();
  v1::EditMessageRequest edit;
  edit.set_conversation_id(chat);
  edit.set_seq(sent.seq());
  edit.mutable_text()->set_text("words");
  CHECK(Refused(m, STUB(EditMessage), mei, edit, grpc::StatusCode::FAILED_PRECONDITION) ==
        "NOT_TEXT");
  // A recalled message can be neither edited nor forwarded.
  auto gone = Send(m, mei, chat, "gone");
  v1::RecallMessageRequest recall;
  recall.set_conversation_id(chat);
  recall.set_seq(gone.seq());
  Ok(m, STUB(RecallMessage), mei, recall);
  edit.set_seq(gone.seq());
  CHECK(Refused(m, STUB(EditMessage), mei, edit, grpc::StatusCode::FAILED_PRECONDITION) ==
        "MESSAGE_RECALLED");
  v1::ForwardMessagesRequest forward;
  forward.set_source_conversation_id(chat);
  forward.add_seqs(gone.seq());
  forward.set_target_conversation_id(chat);
  forward.set_client_message_id("fw-gone");
  CHECK(Refused(m, STUB(ForwardMessages), mei, forward, grpc::StatusCode::FAILED_PRECONDITION) ==
        "MESSAGE_RECALLED");
  // Notices are not forwarded.
  User wu = m.NewUser("Wu");
  int64_t group = CreateGroup(m, {&mei, &lei, &wu});
  forward.set_source_conversation_id(group);
  forward.set_seqs(0, 1);
  CHECK(Refused(m, STUB(ForwardMessages), mei, forward, grpc::StatusCode::FAILED_PRECONDITION) ==
        "FORWARD_NOT_ALLOWED");
  CHECK(HistoryTexts(m, mei, chat).size() == 2);  // the sticker and the recalled text only

  // Identity unreachable: a pair it was never asked about cannot be checked.
  User zhao = m.NewUser("Zhao");
  m.BeFriends(mei, zhao);
  m.identity_server.Shutdown();
  v1::OpenDirectConversationRequest open;
  open.set_peer_user_id(zhao.user_id);
  CHECK(Refused(m, STUB(OpenDirectConversation), mei, open, grpc::StatusCode::UNAVAILABLE) ==
        "IDENTITY_UNAVAILABLE");
}

TEST_CASE("The internal API refuses bad requests and changes nothing", "[messaging][db]") {
  Messaging m;
  User mei = m.NewUser("Mei");
  User lei = m.NewUser("Lei");
  int64_t chat = FriendsChat(m, mei, lei);
  auto internal = [&](auto method, const auto& request) {
    typename decltype(plaza::testing::ResponseOf(method))::type response;
    return plaza::testing::Call(*m.messaging_internal_stub, method, "", request, &response);
  };
  using Internal = v1::InternalService::Stub;

  v1::CreateConversationRequest create;
  create.set_conversation_id(m.ids.Next());
  create.set_kind(v1::CONVERSATION_KIND_DIRECT);
  create.add_member_ids(mei.user_id);
  CHECK(internal(&Internal::CreateConversation, create).reason == "KIND_INVALID");
  create.set_kind(v1::CONVERSATION_KIND_GROUP);
  create.clear_member_ids();
  CHECK(internal(&Internal::CreateConversation, create).reason == "MEMBERS_INVALID");
  create.add_member_ids(-3);
  CHECK(internal(&Internal::CreateConversation, create).reason == "MEMBERS_INVALID");
  create.set_member_ids(0, mei.user_id);
  create.mutable_notice()->set_kind("bad kind!");
  CHECK(internal(&Internal::CreateConversation, create).reason == "NOTICE_INVALID");
  create.clear_notice();
  create.set_conversation_id(chat);  // taken by a direct conversation
  auto exists = internal(&Internal::CreateConversation, create);
  CHECK(exists.code == grpc::StatusCode::ALREADY_EXISTS);
  CHECK(exists.reason == "CONVERSATION_EXISTS");

  v1::AddMembersRequest add;
  add.set_conversation_id(chat);
  add.add_user_ids(m.NewUser("Zhao").user_id);
  auto direct = internal(&Internal::AddMembers, add);
  CHECK(direct.code == grpc::StatusCode::FAILED_PRECONDITION);
  CHECK(direct.reason == "DIRECT_CONVERSATION");
  add.set_conversation_id(m.ids.Next());
  CHECK(internal(&Internal::AddMembers, add).reason == "CONVERSATION_NOT_FOUND");

  v1::PostMessageRequest post;
  post.set_conversation_id(chat);
  post.set_sender_id(-1);
  post.set_client_message_id("p-1");
  post.mutable_content()->mutable_text()->set_text("hi");
  CHECK(internal(&Internal::PostMessage, post).reason == "SENDER_INVALID");
  post.set_sender_id(0);
  post.clear_content();
  CHECK(internal(&Internal::PostMessage, post).reason == "CONTENT_EMPTY");
  CHECK(HistoryTexts(m, mei, chat).empty());
}
