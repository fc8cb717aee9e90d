// Group chat through the gateway with the real plaza-gateway, plaza-identity, plaza-messaging
// and plaza-groups processes: a group made with GroupsService is chatted in with messaging's API;
// online members get every message once and in order on their push streams, offline and
// reconnecting devices catch up through Sync; removing, adding, muting and dissolving take effect
// on sending, pushing, history and Sync at once; and senders see how many members read their
// messages.

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <cctype>
#include <mutex>
#include <pqxx/pqxx>
#include <thread>

#include "services/gateway/tests/push_client.h"
#include "tests/e2e/chat.h"
#include "tests/e2e/cluster.h"

using namespace std::chrono_literals;
namespace groups_e2e {

using plaza::e2e::Account;
using plaza::e2e::CallAs;
using plaza::e2e::Cluster;
using plaza::e2e::FullHistory;
using plaza::e2e::MoreMessages;
using plaza::e2e::ReceiveMessages;
using plaza::e2e::SyncConversation;
using plaza::gateway::testing::PushClient;
using plaza::testing::Method;
using plaza::testing::Outcome;
namespace gv1 = plaza::groups::v1;
namespace mv1 = plaza::messaging::v1;

#define GROUPS(name) &gv1::GroupsService::Stub::name
#define MESSAGING(name) &mv1::MessagingService::Stub::name

constexpr auto kDenied = grpc::StatusCode::PERMISSION_DENIED;
constexpr auto kPrecondition = grpc::StatusCode::FAILED_PRECONDITION;
// How long a push may take to arrive, and how long to listen for one that must not come.
constexpr auto kPushWait = 10s;
constexpr auto kQuiet = 300ms;

// Calls as `account` and requires success.
template <typename Stub, typename Request, typename Response>
Response Ok(Stub& stub, Method<Stub, Request, Response> method, const Account& account,
            const Request& request) {
  Response response;
  auto outcome = CallAs(stub, method, account, request, &response);
  INFO(outcome.code << " " << outcome.reason << ": " << outcome.message);
  REQUIRE(outcome.ok());
  return response;
}

std::vector<int64_t> Seqs(const std::vector<mv1::Message>& messages) {
  std::vector<int64_t> seqs;
  for (const auto& message : messages) seqs.push_back(message.seq());
  return seqs;
}

bool IsNotice(const mv1::Message& message, std::string_view kind, int64_t about_user_id) {
  if (!message.content().has_system_notice()) return false;
  const auto& notice = message.content().system_notice();
  if (notice.kind() != kind) return false;
  for (int64_t id : notice.user_ids())
    if (id == about_user_id) return true;
  return false;
}

// An owner and four friends of theirs in a group made through GroupsService.CreateGroup.
struct Group {
  Cluster& cluster;
  std::unique_ptr<gv1::GroupsService::Stub> groups;
  std::unique_ptr<mv1::MessagingService::Stub> messaging;
  Account owner;
  std::vector<Account> members;
  int64_t id = 0;

  explicit Group(Cluster& c)
      : cluster(c),
        groups(c.Groups()),
        messaging(c.Messaging()),
        owner(c.SignUp("Owner", "owner-phone")) {
    gv1::CreateGroupRequest request;
    request.set_client_request_id("create-1");
    request.set_name("E2E 群聊");
    for (int i = 0; i < 4; ++i) {
      members.push_back(NewFriend("Member " + std::to_string(i)));
      request.add_member_ids(members.back().user_id);
    }
    auto created = Ok(*groups, GROUPS(CreateGroup), owner, request).group();
    id = created.group_id();
    CHECK(created.member_count() == 5);
    CHECK(created.owner_id() == owner.user_id);
    CHECK(created.me().role() == gv1::MEMBER_ROLE_OWNER);
    // Groups normally tells messaging before it answers; a slow delivery is not what these
    // scenarios are about, so wait (bounded) for the conversation to exist.
    auto deadline = std::chrono::steady_clock::now() + 10s;
    for (;;) {
      mv1::GetConversationRequest get;
      get.set_conversation_id(id);
      mv1::GetConversationResponse response;
      auto outcome = CallAs(*messaging, MESSAGING(GetConversation), owner, get, &response);
      if (outcome.ok()) {
        CHECK(response.conversation().kind() == mv1::CONVERSATION_KIND_GROUP);
        break;
      }
      INFO(outcome.code << " " << outcome.reason << ": " << outcome.message);
      REQUIRE(std::chrono::steady_clock::now() < deadline);
      std::this_thread::sleep_for(20ms);
    }
  }

  // A new account, a friend of the owner (not in the group).
  Account NewFriend(const std::string& name) {
    std::string device;
    for (char ch : name) device += ch == ' ' ? '-' : static_cast<char>(std::tolower(ch));
    Account account = cluster.SignUp(name, device + "-phone");
    cluster.BeFriends(owner, account);
    return account;
  }

  // Sends a text as `who`.
  Outcome Say(const Account& who, const std::string& client_id, const std::string& text,
              mv1::Message* sent = nullptr, std::vector<int64_t> mentioned = {},
              bool mention_all = false) {
    mv1::SendMessageRequest request;
    request.set_conversation_id(id);
    request.set_client_message_id(client_id);
    request.mutable_content()->mutable_text()->set_text(text);
    for (int64_t user_id : mentioned)
      request.mutable_content()->mutable_mentions()->add_user_ids(user_id);
    if (mention_all) request.mutable_content()->mutable_mentions()->set_all(true);
    mv1::SendMessageResponse response;
    auto outcome = CallAs(*messaging, MESSAGING(SendMessage), who, request, &response);
    if (sent != nullptr) *sent = response.message();
    return outcome;
  }

  mv1::Message SayOk(const Account& who, const std::string& client_id, const std::string& text,
                     std::vector<int64_t> mentioned = {}, bool mention_all = false) {
    mv1::Message sent;
    auto outcome = Say(who, client_id, text, &sent, std::move(mentioned), mention_all);
    INFO(client_id << ": " << outcome.code << " " << outcome.reason << ": " << outcome.message);
    REQUIRE(outcome.ok());
    CHECK(sent.sender_id() == who.user_id);
    return sent;
  }

  // The refusal's reason, after checking its code.
  std::string Refused(const Account& who, const std::string& client_id, grpc::StatusCode code,
                      bool mention_all = false) {
    auto outcome = Say(who, client_id, "refused " + client_id, nullptr, {}, mention_all);
    INFO(client_id << ": " << outcome.code << " " << outcome.reason << ": " << outcome.message);
    CHECK(outcome.code == code);
    return outcome.reason;
  }

  std::vector<mv1::Message> History(const Account& who) { return FullHistory(cluster, who, id); }

  // Messages stored in the group's conversation, read from PostgreSQL.
  int Stored() {
    pqxx::connection connection(cluster.pg_url());
    pqxx::work work(connection);
    return work
        .exec_params1("SELECT count(*) FROM messaging.messages WHERE conversation_id = $1", id)[0]
        .as<int>();
  }

  int StoredFrom(const Account& who) {
    pqxx::connection connection(cluster.pg_url());
    pqxx::work work(connection);
    return work
        .exec_params1(
            "SELECT count(*) FROM messaging.messages WHERE conversation_id = $1 AND sender_id = $2",
            id, who.user_id)[0]
        .as<int>();
  }

  mv1::MarkReadResponse MarkRead(const Account& who, int64_t seq) {
    mv1::MarkReadRequest request;
    request.set_conversation_id(id);
    request.set_read_seq(seq);
    return Ok(*messaging, MESSAGING(MarkRead), who, request);
  }

  // The notice of `kind` about `user_id` in the owner's view, waiting (bounded) for groups to
  // deliver it.
  mv1::Message Notice(std::string_view kind, int64_t user_id) {
    auto deadline = std::chrono::steady_clock::now() + 10s;
    for (;;) {
      for (const auto& message : History(owner))
        if (IsNotice(message, kind, user_id)) return message;
      INFO("no " << kind << " notice about " << user_id);
      REQUIRE(std::chrono::steady_clock::now() < deadline);
      std::this_thread::sleep_for(20ms);
    }
  }

  gv1::MuteMemberResponse Mute(const Account& who, int64_t seconds) {
    gv1::MuteMemberRequest request;
    request.set_group_id(id);
    request.set_user_id(who.user_id);
    request.set_duration_seconds(seconds);
    return Ok(*groups, GROUPS(MuteMember), owner, request);
  }

  void MuteAll(bool muted) {
    gv1::MuteAllRequest request;
    request.set_group_id(id);
    request.set_muted(muted);
    CHECK(Ok(*groups, GROUPS(MuteAll), owner, request).group().mute_all() == muted);
  }

  void Add(const Account& who) {
    gv1::AddMembersRequest request;
    request.set_group_id(id);
    request.add_user_ids(who.user_id);
    auto added = Ok(*groups, GROUPS(AddMembers), owner, request);
    REQUIRE(added.added_user_ids_size() == 1);
    CHECK(added.added_user_ids(0) == who.user_id);
  }

  std::vector<mv1::ReadCount> ReadCounts(const Account& sender, std::vector<int64_t> seqs) {
    mv1::GetReadCountsRequest request;
    request.set_conversation_id(id);
    for (int64_t seq : seqs) request.add_seqs(seq);
    auto response = Ok(*messaging, MESSAGING(GetReadCounts), sender, request);
    return {response.read_counts().begin(), response.read_counts().end()};
  }
};

std::unique_ptr<PushClient> Online(Cluster& cluster, const Account& account) {
  auto device = std::make_unique<PushClient>(cluster.Connect(), account.tokens.access_token());
  REQUIRE(device->Connected());
  return device;
}

// Receives until a message with `seq` or later arrived.
std::vector<mv1::Message> ReceiveThrough(PushClient& device, int64_t conversation_id, int64_t seq) {
  return ReceiveMessages(
      device, conversation_id,
      [seq](const std::vector<mv1::Message>& received) {
        return !received.empty() && received.back().seq() >= seq;
      },
      kPushWait);
}

TEST_CASE(
    "group messages reach every online member once and in order; an offline member catches up "
    "through Sync with unread and @ me counts",
    "[e2e][groups]") {
  Cluster cluster;
  Group group(cluster);
  const Account& offline = group.members[3];

  // The offline member read the group when it was made; their cursor is from then.
  std::string cursor;
  auto first = SyncConversation(cluster, offline, cursor, group.id);
  REQUIRE(first.conversation.has_value());
  group.MarkRead(offline, first.conversation->last_seq());
  SyncConversation(cluster, offline, cursor, group.id);

  std::vector<std::unique_ptr<PushClient>> online;
  for (int i = 0; i < 3; ++i) online.push_back(Online(cluster, group.members[i]));

  // Several senders take turns; one message mentions the offline member.
  const std::vector<const Account*> senders = {&group.owner, &group.members[0], &group.members[1],
                                               &group.members[2]};
  std::vector<mv1::Message> sent;
  constexpr int kMentioning = 5;
  for (int i = 0; i < 12; ++i) {
    std::string text = "group message " + std::to_string(i);
    std::vector<int64_t> mentioned;
    if (i == kMentioning) {
      text = "@Member 3 " + text;
      mentioned.push_back(offline.user_id);
    }
    sent.push_back(
        group.SayOk(*senders[i % senders.size()], "g-" + std::to_string(i), text, mentioned));
  }
  for (size_t i = 1; i < sent.size(); ++i) CHECK(sent[i].seq() == sent[0].seq() + int64_t(i));

  for (int i = 0; i < 3; ++i) {
    INFO("online member " << i);
    std::vector<mv1::Message> expected;  // the sending device has the answer already
    for (const auto& message : sent)
      if (message.sender_id() != group.members[i].user_id) expected.push_back(message);
    auto received = ReceiveMessages(
        *online[i], group.id,
        [&](const std::vector<mv1::Message>& so_far) { return so_far.size() >= expected.size(); },
        kPushWait);
    REQUIRE(Seqs(received) == Seqs(expected));
    for (size_t k = 0; k < received.size(); ++k) {
      CHECK(received[k].sender_id() == expected[k].sender_id());
      CHECK(received[k].content().text().text() == expected[k].content().text().text());
    }
  }
  std::this_thread::sleep_for(kQuiet);  // nothing arrives twice
  for (int i = 0; i < 3; ++i) {
    INFO("online member " << i);
    CHECK(Seqs(MoreMessages(*online[i], group.id, 1ms)).empty());
  }

  auto caught_up = SyncConversation(cluster, offline, cursor, group.id);
  CHECK_FALSE(caught_up.reset);
  REQUIRE(Seqs(caught_up.messages) == Seqs(sent));
  for (size_t k = 0; k < sent.size(); ++k) {
    CHECK(caught_up.messages[k].sender_id() == sent[k].sender_id());
    CHECK(caught_up.messages[k].content().text().text() == sent[k].content().text().text());
  }
  REQUIRE(caught_up.conversation.has_value());
  CHECK(caught_up.conversation->last_seq() == sent.back().seq());
  CHECK(caught_up.conversation->unread_count() == 12);
  CHECK(caught_up.conversation->unread_mention_count() == 1);
  CHECK_FALSE(caught_up.conversation->read_only());

  // Read on the offline member's device: the counts go to 0, and a second Sync has nothing new.
  auto read = group.MarkRead(offline, sent.back().seq());
  CHECK(read.conversation().unread_count() == 0);
  CHECK(read.conversation().unread_mention_count() == 0);
  CHECK(SyncConversation(cluster, offline, cursor, group.id).messages.empty());
}

TEST_CASE("a group member who reconnects gets through Sync everything missed, nothing twice",
          "[e2e][groups]") {
  Cluster cluster;
  Group group(cluster);
  const Account& member = group.members[0];
  std::string cursor;
  SyncConversation(cluster, member, cursor, group.id);

  std::vector<mv1::Message> live;
  {
    auto phone = Online(cluster, member);
    live.push_back(group.SayOk(group.owner, "live-0", "live 0"));
    live.push_back(group.SayOk(group.members[1], "live-1", "live 1"));
    live.push_back(group.SayOk(group.members[2], "live-2", "live 2"));
    CHECK(Seqs(ReceiveThrough(*phone, group.id, live.back().seq())) == Seqs(live));
    // The app applies the pushes and saves the cursor of its next Sync.
    CHECK(Seqs(SyncConversation(cluster, member, cursor, group.id).messages) == Seqs(live));
  }  // the phone goes offline

  std::vector<mv1::Message> missed;
  for (int i = 0; i < 6; ++i) {
    const Account& sender = i % 3 == 0 ? group.owner : group.members[1 + i % 2];
    missed.push_back(
        group.SayOk(sender, "missed-" + std::to_string(i), "missed " + std::to_string(i)));
  }

  auto phone = Online(cluster, member);
  auto caught_up = SyncConversation(cluster, member, cursor, group.id);
  CHECK_FALSE(caught_up.reset);
  REQUIRE(Seqs(caught_up.messages) == Seqs(missed));
  for (size_t k = 0; k < missed.size(); ++k)
    CHECK(caught_up.messages[k].content().text().text() == missed[k].content().text().text());
  CHECK(SyncConversation(cluster, member, cursor, group.id).messages.empty());

  // Live again: the next message is the first and only one on the new stream.
  auto next = group.SayOk(group.members[3], "after-reconnect", "welcome back");
  auto received = ReceiveThrough(*phone, group.id, next.seq());
  CHECK(Seqs(received) == std::vector<int64_t>{next.seq()});
  CHECK(Seqs(MoreMessages(*phone, group.id, kQuiet)).empty());
  CHECK(Seqs(SyncConversation(cluster, member, cursor, group.id).messages) ==
        std::vector<int64_t>{next.seq()});
}

TEST_CASE(
    "a member removed mid-conversation can no longer send or receive but keeps what came "
    "before; a member added sees from their joining on",
    "[e2e][groups]") {
  Cluster cluster;
  Group group(cluster);
  const Account& a = group.members[0];
  const Account& b = group.members[1];
  const Account& watcher = group.members[2];
  const Account& x = group.members[3];

  auto x_phone = Online(cluster, x);
  auto watcher_phone = Online(cluster, watcher);
  std::string x_cursor;
  SyncConversation(cluster, x, x_cursor, group.id);
  // X has written to the group, so whatever messaging keeps about X's membership is warm.
  auto x_before = group.SayOk(x, "x-before", "X was here");
  group.SayOk(a, "a-before", "hi X");
  SyncConversation(cluster, x, x_cursor, group.id);

  // A and B keep talking while the owner removes X.
  std::atomic<bool> stop{false};
  std::atomic<int> acknowledged{0};
  std::mutex failures_mutex;
  std::vector<std::string> failures;
  std::thread talkers([&] {
    auto stub = cluster.Messaging();
    for (int i = 0; !stop && i < 500; ++i) {
      mv1::SendMessageResponse response;
      auto status =
          plaza::e2e::Send(*stub, i % 2 == 0 ? a : b, group.id, "chatter-" + std::to_string(i),
                           "chatter " + std::to_string(i), &response);
      if (status.ok()) {
        ++acknowledged;
      } else {
        std::lock_guard lock(failures_mutex);
        failures.push_back(std::to_string(status.error_code()) + " " + status.error_message());
      }
    }
  });
  auto wait_for_acks = [&](int count) {
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (acknowledged < count && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(1ms);
    return acknowledged >= count;
  };
  bool talking = wait_for_acks(3);
  gv1::RemoveMembersRequest remove;
  remove.set_group_id(group.id);
  remove.add_user_ids(x.user_id);
  auto removed = Ok(*group.groups, GROUPS(RemoveMembers), group.owner, remove);
  // At once: X's send is refused and stored nowhere.
  CHECK(group.Refused(x, "x-after", kDenied) == "NOT_A_MEMBER");
  talking = wait_for_acks(acknowledged + 3) && talking;
  stop = true;
  talkers.join();
  CHECK(talking);
  CHECK(failures.empty());
  REQUIRE(removed.removed_user_ids_size() == 1);
  CHECK(removed.removed_user_ids(0) == x.user_id);

  auto removal = group.Notice("group.members_removed", x.user_id);
  CHECK(removal.sender_id() == 0);
  auto after = group.SayOk(a, "a-after", "X is gone");
  REQUIRE(after.seq() > removal.seq());
  CHECK(group.StoredFrom(x) == 1);

  // X's phone got the notice about them and nothing after it: by the time the watcher has the
  // last message, X would have had it too.
  auto watched = ReceiveThrough(*watcher_phone, group.id, after.seq());
  REQUIRE(!watched.empty());
  CHECK(watched.back().seq() == after.seq());
  auto x_pushed = MoreMessages(*x_phone, group.id, kQuiet);
  bool x_got_notice = false;
  for (const auto& message : x_pushed) {
    CHECK(message.seq() <= removal.seq());
    x_got_notice = x_got_notice || message.seq() == removal.seq();
  }
  CHECK(x_got_notice);

  // X's history: everything up to the removal notice, which is last.
  auto owner_history = group.History(group.owner);
  std::vector<int64_t> up_to_removal;
  for (const auto& message : owner_history)
    if (message.seq() <= removal.seq()) up_to_removal.push_back(message.seq());
  auto x_history = group.History(x);
  REQUIRE(!x_history.empty());
  CHECK(Seqs(x_history) == up_to_removal);
  CHECK(IsNotice(x_history.back(), "group.members_removed", x.user_id));
  CHECK(std::any_of(x_history.begin(), x_history.end(),
                    [&](const mv1::Message& m) { return m.seq() == x_before.seq(); }));

  // X's Sync: what came since the cursor up to the notice, nothing later; read-only now.
  auto x_synced = SyncConversation(cluster, x, x_cursor, group.id);
  REQUIRE(!x_synced.messages.empty());
  CHECK(x_synced.messages.back().seq() == removal.seq());
  for (const auto& message : x_synced.messages) CHECK(message.seq() <= removal.seq());
  REQUIRE(x_synced.conversation.has_value());
  CHECK(x_synced.conversation->read_only());

  // A friend of the owner is added: they see from the notice of their joining on.
  Account newcomer = group.NewFriend("Newcomer");
  auto newcomer_phone = Online(cluster, newcomer);
  group.Add(newcomer);
  auto joined = group.Notice("group.members_invited", newcomer.user_id);
  auto welcome = group.SayOk(a, "welcome", "welcome, newcomer");
  auto newcomer_pushed = ReceiveThrough(*newcomer_phone, group.id, welcome.seq());
  REQUIRE(!newcomer_pushed.empty());
  CHECK(newcomer_pushed.back().seq() == welcome.seq());
  for (const auto& message : newcomer_pushed) CHECK(message.seq() >= joined.seq());

  auto newcomer_history = group.History(newcomer);
  REQUIRE(!newcomer_history.empty());
  CHECK(newcomer_history.front().seq() == joined.seq());
  CHECK(newcomer_history.back().seq() == welcome.seq());
  for (const auto& message : newcomer_history) CHECK(message.seq() >= joined.seq());

  std::string newcomer_cursor;
  auto newcomer_synced = SyncConversation(cluster, newcomer, newcomer_cursor, group.id);
  REQUIRE(newcomer_synced.conversation.has_value());
  CHECK(newcomer_synced.conversation->first_visible_seq() == joined.seq());
  CHECK_FALSE(newcomer_synced.conversation->read_only());
  for (const auto& message : newcomer_synced.messages) CHECK(message.seq() >= joined.seq());

  // Still nothing new for X.
  CHECK(Seqs(group.History(x)) == up_to_removal);
  CHECK(SyncConversation(cluster, x, x_cursor, group.id).messages.empty());
  CHECK(Seqs(MoreMessages(*x_phone, group.id, 1ms)).empty());
}

TEST_CASE(
    "mutes, mute-all, @all and dissolving are enforced on group sends, and nothing refused is "
    "stored",
    "[e2e][groups]") {
  Cluster cluster;
  Group group(cluster);
  const Account& admin = group.members[0];
  const Account& y = group.members[1];
  const Account& plain = group.members[2];
  {
    gv1::SetAdminRequest request;
    request.set_group_id(group.id);
    request.set_user_id(admin.user_id);
    request.set_admin(true);
    CHECK(Ok(*group.groups, GROUPS(SetAdmin), group.owner, request).member().role() ==
          gv1::MEMBER_ROLE_ADMIN);
  }
  group.SayOk(y, "y-0", "before the mute");

  // Y muted for 10 minutes: refused, nothing stored.
  CHECK(group.Mute(y, 600).member().has_mute_end_time());
  int history = static_cast<int>(group.History(group.owner).size());
  int stored = group.Stored();
  CHECK(group.Refused(y, "y-muted", kDenied) == "MUTED");
  CHECK(static_cast<int>(group.History(group.owner).size()) == history);
  CHECK(group.Stored() == stored);
  CHECK(group.StoredFrom(y) == 1);

  // Unmuted: Y speaks again.
  CHECK_FALSE(group.Mute(y, 0).member().has_mute_end_time());
  group.SayOk(y, "y-unmuted", "thanks");

  // Mute-all: plain members are refused, the owner and admins speak.
  group.MuteAll(true);
  history = static_cast<int>(group.History(group.owner).size());
  stored = group.Stored();
  CHECK(group.Refused(plain, "plain-all-muted", kDenied) == "ALL_MUTED");
  CHECK(group.Refused(y, "y-all-muted", kDenied) == "ALL_MUTED");
  CHECK(static_cast<int>(group.History(group.owner).size()) == history);
  CHECK(group.Stored() == stored);
  group.SayOk(admin, "admin-all-muted", "admins may speak");
  group.SayOk(group.owner, "owner-all-muted", "so may the owner");
  group.MuteAll(false);
  group.SayOk(plain, "plain-unmuted", "my turn");

  // @all is for the owner and admins.
  stored = group.Stored();
  CHECK(group.Refused(plain, "plain-at-all", kDenied, true) == "MENTION_ALL_NOT_ALLOWED");
  CHECK(group.Stored() == stored);
  CHECK(group.SayOk(group.owner, "owner-at-all", "@all dinner at 7", {}, true)
            .content()
            .mentions()
            .all());
  group.SayOk(admin, "admin-at-all", "@all bring drinks", {}, true);

  // Dissolved: read-only for everyone, history still there.
  {
    gv1::DissolveGroupRequest request;
    request.set_group_id(group.id);
    Ok(*group.groups, GROUPS(DissolveGroup), group.owner, request);
  }
  auto dissolved = group.Notice("group.dissolved", group.owner.user_id);
  stored = group.Stored();
  for (const Account* who : std::vector<const Account*>{&group.owner, &admin, &plain}) {
    CHECK(group.Refused(*who, "after-dissolve", kPrecondition) == "CONVERSATION_CLOSED");
  }
  CHECK(group.Stored() == stored);
  for (const Account* who : std::vector<const Account*>{&group.owner, &plain}) {
    auto seen = group.History(*who);
    REQUIRE(!seen.empty());
    CHECK(seen.back().seq() == dissolved.seq());
    CHECK(std::any_of(seen.begin(), seen.end(), [](const mv1::Message& m) {
      return m.client_message_id() == "plain-unmuted";
    }));
  }
}

TEST_CASE("the sender of a group message sees how many of its audience read it", "[e2e][groups]") {
  Cluster cluster;
  Group group(cluster);
  auto first = group.SayOk(group.owner, "read-1", "did you read this?");
  auto second = group.SayOk(group.owner, "read-2", "and this?");

  auto counts = group.ReadCounts(group.owner, {first.seq()});
  REQUIRE(counts.size() == 1);
  CHECK(counts[0].seq() == first.seq());
  CHECK(counts[0].read_count() == 0);
  CHECK(counts[0].audience_count() == 4);  // members - 1

  group.MarkRead(group.members[0], first.seq());
  group.MarkRead(group.members[1], second.seq());  // past it
  counts = group.ReadCounts(group.owner, {second.seq(), first.seq()});
  REQUIRE(counts.size() == 2);  // in request order
  CHECK(counts[0].seq() == second.seq());
  CHECK(counts[0].read_count() == 1);
  CHECK(counts[0].audience_count() == 4);
  CHECK(counts[1].seq() == first.seq());
  CHECK(counts[1].read_count() == 2);
  CHECK(counts[1].audience_count() == 4);

  // Someone who joined later reads on, but was never of the first message's audience.
  Account newcomer = group.NewFriend("Newcomer");
  group.Add(newcomer);
  auto third = group.SayOk(group.owner, "read-3", "welcome");
  group.MarkRead(newcomer, third.seq());
  counts = group.ReadCounts(group.owner, {first.seq(), third.seq()});
  REQUIRE(counts.size() == 2);
  CHECK(counts[0].read_count() == 2);
  CHECK(counts[0].audience_count() == 4);
  CHECK(counts[1].read_count() == 1);
  CHECK(counts[1].audience_count() == 5);
}

#undef GROUPS
#undef MESSAGING

}  // namespace groups_e2e
