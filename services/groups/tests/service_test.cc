// Groups end to end inside one process (see services/testing/in_process_services.h): the real
// groups service, store, outbox relay, interceptors and gRPC server, with identity's
// InternalService (friendships, names) and messaging (the group's conversation, its members and
// notices, and what members can read) on the same database. Time is a FakeClock shared by
// everything, so mutes, invitation expiry and retry backoff are tested without sleeping.

#include <grpcpp/create_channel.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "plaza/events/announcements.h"
#include "plaza/redis/subscriber.h"
#include "plaza/testing/rpc_call.h"
#include "plaza/testing/testing.h"
#include "services/testing/in_process_services.h"

namespace v1 = plaza::groups::v1;
namespace mv1 = plaza::messaging::v1;
using plaza::events::v1::Event;
using namespace std::chrono_literals;

namespace {

using User = plaza::testing::TestUser;

// Groups with identity's internal API and messaging in-process, plus what the tests ask of them.
struct Cluster : plaza::testing::InProcessServices {
  explicit Cluster(bool messaging_up = true) : InProcessServices(messaging_up) {}

  // What a user can read of the group's conversation in messaging, oldest first.
  std::vector<mv1::Message> History(const User& user, int64_t group_id) {
    bool has_more = false;
    auto messages = messaging_store.History(user.user_id, group_id, 0, 200, has_more);
    if (!messages.ok()) return {};
    return *messages;
  }

  // The kinds of the notices a user can read in the group's conversation, oldest first.
  std::vector<std::string> NoticeKinds(const User& user, int64_t group_id) {
    std::vector<std::string> kinds;
    for (const auto& message : History(user, group_id)) {
      if (message.content().has_system_notice()) {
        kinds.push_back(message.content().system_notice().kind());
      }
    }
    return kinds;
  }

  // Posts a text as `user` in messaging, as a client's send would.
  absl::Status Say(const User& user, int64_t group_id, const std::string& text) {
    plaza::messaging::NewMessage message{.conversation_id = group_id,
                                         .sender_id = user.user_id,
                                         .client_message_id = "t-" + std::to_string(ids.Next())};
    message.content.mutable_text()->set_text(text);
    return messaging_store.Send({message}).status();
  }

  // Users in the group's conversation as messaging sees it now.
  std::set<int64_t> MessagingMembers(int64_t group_id) {
    return pg
        .Transact([&](pqxx::work& tx) -> absl::StatusOr<std::set<int64_t>> {
          std::set<int64_t> members;
          for (const auto& row : tx.exec_params(
                   "SELECT user_id FROM messaging.members WHERE conversation_id = $1 AND "
                   "last_visible_seq IS NULL",
                   group_id)) {
            members.insert(row[0].as<int64_t>());
          }
          return members;
        })
        .value();
  }

  // Members as groups stores them; CHECKs that the count column agrees with the rows.
  std::set<int64_t> GroupMembers(int64_t group_id) {
    return pg
        .Transact([&](pqxx::work& tx) -> absl::StatusOr<std::set<int64_t>> {
          std::set<int64_t> members;
          for (const auto& row :
               tx.exec_params("SELECT user_id FROM groups.members WHERE group_id = $1", group_id)) {
            members.insert(row[0].as<int64_t>());
          }
          int count = tx.exec_params1("SELECT member_count FROM groups.groups WHERE group_id = $1",
                                      group_id)[0]
                          .as<int>();
          CHECK(count == static_cast<int>(members.size()));
          return members;
        })
        .value();
  }

  // Changes of the group not yet delivered to messaging.
  int PendingChanges(int64_t group_id) {
    return pg
        .Transact([&](pqxx::work& tx) -> absl::StatusOr<int> {
          return tx
              .exec_params1(
                  "SELECT count(*) FROM groups.outbox WHERE group_id = $1 AND "
                  "failed_at IS NULL",
                  group_id)[0]
              .as<int>();
        })
        .value();
  }
};

using plaza::testing::CallAs;
using plaza::testing::Method;
using plaza::testing::Ok;
using plaza::testing::Outcome;
using plaza::testing::Random;
using plaza::testing::Refused;

#define STUB(name) &v1::GroupsService::Stub::name

constexpr auto kDenied = grpc::StatusCode::PERMISSION_DENIED;
constexpr auto kPrecondition = grpc::StatusCode::FAILED_PRECONDITION;
constexpr auto kInvalid = grpc::StatusCode::INVALID_ARGUMENT;
constexpr auto kNotFound = grpc::StatusCode::NOT_FOUND;

v1::CreateGroupRequest CreateRequest(const std::vector<User>& members, const std::string& name = "",
                                     const std::string& client_id = "") {
  v1::CreateGroupRequest request;
  request.set_client_request_id(client_id.empty() ? "g-" + std::to_string(Random()()) : client_id);
  request.set_name(name);
  for (const User& member : members) request.add_member_ids(member.user_id);
  return request;
}

v1::Group CreateGroup(Cluster& c, const User& owner, const std::vector<User>& members,
                      const std::string& name = "") {
  return Ok(c, STUB(CreateGroup), owner, CreateRequest(members, name)).group();
}

template <typename Request>
Request ForGroup(int64_t group_id) {
  Request request;
  request.set_group_id(group_id);
  return request;
}

v1::Group GetGroup(Cluster& c, const User& user, int64_t group_id) {
  return Ok(c, STUB(GetGroup), user, ForGroup<v1::GetGroupRequest>(group_id)).group();
}

v1::AddMembersRequest AddRequest(int64_t group_id, const std::vector<User>& users) {
  auto request = ForGroup<v1::AddMembersRequest>(group_id);
  for (const User& user : users) request.add_user_ids(user.user_id);
  return request;
}

v1::RemoveMembersRequest RemoveRequest(int64_t group_id, const std::vector<User>& users) {
  auto request = ForGroup<v1::RemoveMembersRequest>(group_id);
  for (const User& user : users) request.add_user_ids(user.user_id);
  return request;
}

v1::MuteMemberRequest MuteRequest(int64_t group_id, const User& user, int64_t seconds) {
  auto request = ForGroup<v1::MuteMemberRequest>(group_id);
  request.set_user_id(user.user_id);
  request.set_duration_seconds(seconds);
  return request;
}

v1::SetAdminRequest AdminRequest(int64_t group_id, const User& user, bool admin = true) {
  auto request = ForGroup<v1::SetAdminRequest>(group_id);
  request.set_user_id(user.user_id);
  request.set_admin(admin);
  return request;
}

v1::UpdateGroupSettingsRequest SettingsRequest(int64_t group_id) {
  return ForGroup<v1::UpdateGroupSettingsRequest>(group_id);
}

std::string Invite(Cluster& c, const User& creator, int64_t group_id, int64_t ttl_seconds = 0) {
  auto request = ForGroup<v1::CreateInviteRequest>(group_id);
  request.set_ttl_seconds(ttl_seconds);
  return Ok(c, STUB(CreateInvite), creator, request).invite().payload();
}

v1::JoinByInviteRequest JoinRequest(const std::string& payload, const std::string& message = "") {
  v1::JoinByInviteRequest request;
  request.set_payload(payload);
  request.set_message(message);
  return request;
}

v1::JoinOutcome Join(Cluster& c, const User& user, const std::string& payload) {
  return Ok(c, STUB(JoinByInvite), user, JoinRequest(payload)).outcome();
}

v1::GetSendPolicyResponse SendPolicy(Cluster& c, int64_t group_id, const User& user) {
  v1::GetSendPolicyRequest request;
  request.set_group_id(group_id);
  request.set_user_id(user.user_id);
  v1::GetSendPolicyResponse response;
  REQUIRE(CallAs(*c.groups_internal_stub, &v1::InternalService::Stub::GetSendPolicy, nullptr,
                 request, &response)
              .ok());
  return response;
}

std::vector<int64_t> MemberIds(Cluster& c, const User& user, int64_t group_id,
                               int page_size = 100) {
  std::vector<int64_t> ids;
  std::string token;
  do {
    auto request = ForGroup<v1::ListMembersRequest>(group_id);
    request.set_page_size(page_size);
    request.set_page_token(token);
    auto page = Ok(c, STUB(ListMembers), user, request);
    for (const auto& member : page.members()) ids.push_back(member.user_id());
    token = page.next_page_token();
  } while (!token.empty());
  return ids;
}

std::set<int64_t> IdsOf(std::initializer_list<const User*> users) {
  std::set<int64_t> ids;
  for (const User* user : users) ids.insert(user->user_id);
  return ids;
}

}  // namespace

TEST_CASE("A group starts from friends of its owner, with its conversation in messaging",
          "[groups][db]") {
  Cluster c;
  User mei = c.NewUser("Mei");
  auto friends = c.Friends(mei, 2);
  User& lei = friends[0];
  User stranger = c.NewUser("Stranger");

  auto request = CreateRequest(friends, "Hiking");
  auto group = Ok(c, STUB(CreateGroup), mei, request).group();
  CHECK(group.name() == "Hiking");
  CHECK(group.owner_id() == mei.user_id);
  CHECK(group.member_count() == 3);
  CHECK(group.me().role() == v1::MEMBER_ROLE_OWNER);
  CHECK(group.settings().who_can_invite() == v1::PERMISSION_EVERY_MEMBER);
  CHECK(group.settings().who_can_edit_name() == v1::PERMISSION_EVERY_MEMBER);
  CHECK_FALSE(group.settings().join_approval());
  CHECK(GetGroup(c, lei, group.group_id()).me().role() == v1::MEMBER_ROLE_MEMBER);
  CHECK(GetGroup(c, lei, group.group_id()).me().inviter_id() == mei.user_id);

  // The conversation has the same id and the same members, and opens with a notice naming them.
  CHECK(c.MessagingMembers(group.group_id()) == IdsOf({&mei, &friends[0], &friends[1]}));
  auto history = c.History(lei, group.group_id());
  REQUIRE(history.size() == 1);
  const auto& notice = history[0].content().system_notice();
  CHECK(notice.kind() == "group.created");
  CHECK(notice.text() == "Mei created the group with Friend 0 and Friend 1");
  CHECK(history[0].sender_id() == 0);
  auto events = c.probe.EventsFor(lei.user_id, "phone", 1);
  REQUIRE(events.size() == 1);
  CHECK(events[0].message_changed().message().content().system_notice().kind() == "group.created");
  CHECK(c.PendingChanges(group.group_id()) == 0);

  // A retried create returns the first group and creates nothing more.
  auto again = Ok(c, STUB(CreateGroup), mei, request).group();
  CHECK(again.group_id() == group.group_id());
  CHECK(c.History(lei, group.group_id()).size() == 1);

  SECTION("refusals create nothing") {
    CHECK(Refused(c, STUB(CreateGroup), mei, CreateRequest({lei, stranger}), kPrecondition) ==
          "NOT_FRIENDS");
    CHECK(Refused(c, STUB(CreateGroup), mei, CreateRequest({lei}), kInvalid) == "MEMBERS_INVALID");
    CHECK(Refused(c, STUB(CreateGroup), mei, CreateRequest({lei, lei}), kInvalid) ==
          "MEMBERS_INVALID");
    CHECK(Refused(c, STUB(CreateGroup), mei, CreateRequest({lei, mei}), kInvalid) ==
          "MEMBERS_INVALID");
    CHECK(Refused(c, STUB(CreateGroup), mei, CreateRequest(friends, std::string(31, 'x')),
                  kInvalid) == "NAME_INVALID");
    CHECK(Refused(c, STUB(CreateGroup), mei, CreateRequest(friends, "", "bad id!"), kInvalid) ==
          "CLIENT_REQUEST_ID_INVALID");
    v1::CreateGroupResponse response;
    CHECK(CallAs(*c.groups, STUB(CreateGroup), static_cast<const User*>(nullptr),
                 CreateRequest(friends), &response)
              .code == grpc::StatusCode::UNAUTHENTICATED);
    auto mine = Ok(c, STUB(ListMyGroups), mei, v1::ListMyGroupsRequest());
    CHECK(mine.groups_size() == 1);
  }
  SECTION("a group is invisible to those not in it") {
    CHECK(Refused(c, STUB(GetGroup), stranger, ForGroup<v1::GetGroupRequest>(group.group_id()),
                  kNotFound) == "GROUP_NOT_FOUND");
    CHECK(Refused(c, STUB(ListMembers), stranger,
                  ForGroup<v1::ListMembersRequest>(group.group_id()),
                  kNotFound) == "GROUP_NOT_FOUND");
    User strangers_friend = c.Friends(stranger, 1)[0];
    CHECK(Refused(c, STUB(AddMembers), stranger, AddRequest(group.group_id(), {strangers_friend}),
                  kNotFound) == "GROUP_NOT_FOUND");
  }
}

TEST_CASE("Adding, removing and leaving change who reads the conversation at once",
          "[groups][db]") {
  Cluster c;
  User mei = c.NewUser("Mei");
  auto friends = c.Friends(mei, 4);
  User lei = friends[0], zhao = friends[1], wu = friends[2], qian = friends[3];
  User stranger = c.NewUser("Stranger");
  auto group = CreateGroup(c, mei, {lei, zhao});
  int64_t id = group.group_id();
  REQUIRE(c.Say(mei, id, "before Wu").ok());

  // Friends of the inviter only; current members are skipped.
  CHECK(Refused(c, STUB(AddMembers), mei, AddRequest(id, {wu, stranger}), kPrecondition) ==
        "NOT_FRIENDS");
  auto added = Ok(c, STUB(AddMembers), mei, AddRequest(id, {wu, lei}));
  CHECK(std::vector<int64_t>(added.added_user_ids().begin(), added.added_user_ids().end()) ==
        std::vector<int64_t>{wu.user_id});
  CHECK(c.NoticeKinds(wu, id) == std::vector<std::string>{"group.members_invited"});
  CHECK(c.History(wu, id)[0].content().system_notice().text() ==
        "Mei invited Friend 2 to the group");
  CHECK(c.MessagingMembers(id) == IdsOf({&mei, &lei, &zhao, &wu}));

  // Who may invite: every member by default, then the owner and admins only.
  User lei_friend = c.NewUser("Lei's friend");
  c.BeFriends(lei, lei_friend);
  Ok(c, STUB(AddMembers), lei, AddRequest(id, {lei_friend}));
  auto restrict = SettingsRequest(id);
  restrict.set_who_can_invite(v1::PERMISSION_OWNER_AND_ADMINS);
  CHECK(Refused(c, STUB(UpdateGroupSettings), lei, restrict, kDenied) == "NOT_ADMIN");
  Ok(c, STUB(UpdateGroupSettings), mei, restrict);
  c.BeFriends(lei, qian);
  CHECK(Refused(c, STUB(AddMembers), lei, AddRequest(id, {qian}), kDenied) == "INVITE_NOT_ALLOWED");
  CHECK(Refused(c, STUB(CreateInvite), lei, ForGroup<v1::CreateInviteRequest>(id), kDenied) ==
        "INVITE_NOT_ALLOWED");

  // Removing: owner and admins only; the removed keep what they saw and see nothing newer.
  CHECK(Refused(c, STUB(RemoveMembers), lei, RemoveRequest(id, {zhao}), kDenied) == "NOT_ADMIN");
  CHECK(Refused(c, STUB(RemoveMembers), mei, RemoveRequest(id, {mei}), kInvalid) ==
        "MEMBERS_INVALID");
  auto removed = Ok(c, STUB(RemoveMembers), mei, RemoveRequest(id, {zhao, stranger}));
  CHECK(removed.removed_user_ids_size() == 1);
  REQUIRE(c.Say(mei, id, "after Zhao left").ok());
  auto zhao_history = c.History(zhao, id);
  REQUIRE_FALSE(zhao_history.empty());
  CHECK(zhao_history.back().content().system_notice().kind() == "group.members_removed");
  CHECK(std::none_of(zhao_history.begin(), zhao_history.end(), [](const mv1::Message& message) {
    return message.content().text().text() == "after Zhao left";
  }));
  CHECK_FALSE(c.Say(zhao, id, "let me in").ok());
  CHECK(Refused(c, STUB(GetGroup), zhao, ForGroup<v1::GetGroupRequest>(id), kNotFound) ==
        "GROUP_NOT_FOUND");
  auto zhao_events = c.probe.EventsFor(zhao.user_id, "phone", 100, 300ms);
  CHECK(std::any_of(zhao_events.begin(), zhao_events.end(), [](const Event& event) {
    return event.message_changed().message().content().system_notice().kind() ==
           "group.members_removed";
  }));

  // Leaving: anyone but the owner while the group lives.
  Ok(c, STUB(LeaveGroup), wu, ForGroup<v1::LeaveGroupRequest>(id));
  CHECK(c.NoticeKinds(lei, id).back() == "group.member_left");
  CHECK(Refused(c, STUB(LeaveGroup), mei, ForGroup<v1::LeaveGroupRequest>(id), kPrecondition) ==
        "OWNER_CANNOT_LEAVE");
  CHECK(Refused(c, STUB(LeaveGroup), wu, ForGroup<v1::LeaveGroupRequest>(id), kNotFound) ==
        "GROUP_NOT_FOUND");

  auto members = c.GroupMembers(id);
  CHECK(members == IdsOf({&mei, &lei, &lei_friend}));
  CHECK(c.MessagingMembers(id) == members);
  CHECK(GetGroup(c, mei, id).member_count() == 3);
}

TEST_CASE("Member lists page by user id and show group nicknames", "[groups][db]") {
  Cluster c;
  User mei = c.NewUser("Mei");
  auto friends = c.Friends(mei, 6);
  auto group = CreateGroup(c, mei, friends);
  int64_t id = group.group_id();

  auto nickname = ForGroup<v1::SetMyGroupNicknameRequest>(id);
  nickname.set_nickname("Little Lei 🐉");
  CHECK(Ok(c, STUB(SetMyGroupNickname), friends[0], nickname).member().nickname() ==
        "Little Lei 🐉");
  nickname.set_nickname(std::string(33, 'n'));
  CHECK(Refused(c, STUB(SetMyGroupNickname), friends[0], nickname, kInvalid) == "NICKNAME_INVALID");

  auto paged = MemberIds(c, friends[3], id, 2);
  CHECK(paged.size() == 7);
  CHECK(std::is_sorted(paged.begin(), paged.end()));
  CHECK(std::set<int64_t>(paged.begin(), paged.end()) == c.GroupMembers(id));

  auto request = ForGroup<v1::ListMembersRequest>(id);
  request.set_page_size(500);
  auto all = Ok(c, STUB(ListMembers), mei, request);
  CHECK(all.next_page_token().empty());
  auto lei = std::find_if(all.members().begin(), all.members().end(),
                          [&](const v1::Member& m) { return m.user_id() == friends[0].user_id; });
  REQUIRE(lei != all.members().end());
  CHECK(lei->nickname() == "Little Lei 🐉");
  request.set_page_token("not a token");
  CHECK(Refused(c, STUB(ListMembers), mei, request, kInvalid) == "PAGE_TOKEN_INVALID");
  request.set_page_token("");
  request.set_page_size(-1);
  CHECK(Refused(c, STUB(ListMembers), mei, request, kInvalid) == "PAGE_SIZE_INVALID");
}

TEST_CASE("One owner, at most ten admins, and nobody acts on an equal or a superior",
          "[groups][db]") {
  Cluster c;
  User mei = c.NewUser("Mei");
  auto friends = c.Friends(mei, 12);
  auto group = CreateGroup(c, mei, friends);
  int64_t id = group.group_id();
  const User& lei = friends[0];
  const User& zhao = friends[1];
  const User& plain = friends[11];

  CHECK(Refused(c, STUB(SetAdmin), lei, AdminRequest(id, zhao), kDenied) == "NOT_OWNER");
  for (int i = 0; i < 10; ++i) {
    CHECK(Ok(c, STUB(SetAdmin), mei, AdminRequest(id, friends[i])).member().role() ==
          v1::MEMBER_ROLE_ADMIN);
  }
  CHECK(Refused(c, STUB(SetAdmin), mei, AdminRequest(id, friends[10]), kPrecondition) ==
        "ADMIN_LIMIT");
  CHECK(Refused(c, STUB(SetAdmin), mei, AdminRequest(id, mei), kInvalid) == "CANNOT_TARGET_SELF");
  CHECK(c.NoticeKinds(plain, id).back() == "group.admin_added");

  // Admins manage members, not each other, and never the owner.
  CHECK(Refused(c, STUB(RemoveMembers), lei, RemoveRequest(id, {zhao}), kDenied) == "RANK_TOO_LOW");
  CHECK(Refused(c, STUB(RemoveMembers), lei, RemoveRequest(id, {mei}), kDenied) == "RANK_TOO_LOW");
  CHECK(Refused(c, STUB(MuteMember), lei, MuteRequest(id, zhao, 600), kDenied) == "RANK_TOO_LOW");
  // All or nothing: one member the caller may not remove keeps everyone named.
  CHECK(Refused(c, STUB(RemoveMembers), lei, RemoveRequest(id, {plain, zhao}), kDenied) ==
        "RANK_TOO_LOW");
  CHECK(c.GroupMembers(id).contains(plain.user_id));
  Ok(c, STUB(RemoveMembers), lei, RemoveRequest(id, {plain}));
  CHECK(c.NoticeKinds(mei, id).back() == "group.members_removed");

  // Demote one, then hand the group over: the old owner stays as a member.
  Ok(c, STUB(SetAdmin), mei, AdminRequest(id, zhao, false));
  Ok(c, STUB(SetAdmin), mei, AdminRequest(id, friends[10]));
  auto transfer = ForGroup<v1::TransferOwnershipRequest>(id);
  transfer.set_new_owner_id(zhao.user_id);
  CHECK(Refused(c, STUB(TransferOwnership), lei, transfer, kDenied) == "NOT_OWNER");
  auto handed = Ok(c, STUB(TransferOwnership), mei, transfer).group();
  CHECK(handed.owner_id() == zhao.user_id);
  CHECK(handed.me().role() == v1::MEMBER_ROLE_MEMBER);
  CHECK(c.NoticeKinds(lei, id).back() == "group.owner_changed");
  int owners = c.pg.Transact([&](pqxx::work& tx) -> absl::StatusOr<int> {
                     return tx
                         .exec_params1(
                             "SELECT count(*) FROM groups.members WHERE "
                             "group_id = $1 AND role = 3",
                             id)[0]
                         .as<int>();
                   })
                   .value();
  CHECK(owners == 1);
  CHECK(Refused(c, STUB(DissolveGroup), mei, ForGroup<v1::DissolveGroupRequest>(id), kDenied) ==
        "NOT_OWNER");
  Ok(c, STUB(LeaveGroup), mei, ForGroup<v1::LeaveGroupRequest>(id));
}

TEST_CASE("Mutes, mute-all and @all decide GetSendPolicy", "[groups][db]") {
  Cluster c;
  User mei = c.NewUser("Mei");
  auto friends = c.Friends(mei, 3);
  const User& lei = friends[0];
  const User& zhao = friends[1];
  const User& admin = friends[2];
  User stranger = c.NewUser("Stranger");
  auto group = CreateGroup(c, mei, friends);
  int64_t id = group.group_id();
  Ok(c, STUB(SetAdmin), mei, AdminRequest(id, admin));

  auto policy = SendPolicy(c, id, lei);
  CHECK(policy.can_send());
  CHECK_FALSE(policy.can_mention_all());
  CHECK(SendPolicy(c, id, admin).can_mention_all());
  CHECK(SendPolicy(c, id, mei).can_mention_all());
  CHECK(SendPolicy(c, id, stranger).refusal() == v1::SEND_REFUSAL_NOT_A_MEMBER);
  CHECK(SendPolicy(c, id + 1, lei).refusal() == v1::SEND_REFUSAL_NOT_A_MEMBER);

  // A member mutes nobody; an admin mutes members; the mute ends by itself.
  CHECK(Refused(c, STUB(MuteMember), zhao, MuteRequest(id, lei, 600), kDenied) == "NOT_ADMIN");
  CHECK(Refused(c, STUB(MuteMember), admin, MuteRequest(id, lei, 5), kInvalid) ==
        "DURATION_INVALID");
  CHECK(Refused(c, STUB(MuteMember), admin, MuteRequest(id, lei, 31 * 86400), kInvalid) ==
        "DURATION_INVALID");
  CHECK(Refused(c, STUB(MuteMember), admin, MuteRequest(id, stranger, 600), kNotFound) ==
        "MEMBER_NOT_FOUND");
  auto muted = Ok(c, STUB(MuteMember), admin, MuteRequest(id, lei, 600)).member();
  CHECK(muted.has_mute_end_time());
  policy = SendPolicy(c, id, lei);
  CHECK_FALSE(policy.can_send());
  CHECK(policy.refusal() == v1::SEND_REFUSAL_MUTED);
  CHECK(policy.mute_end_time().seconds() == muted.mute_end_time().seconds());
  auto notices = c.History(zhao, id);
  CHECK(notices.back().content().system_notice().text() ==
        "Friend 2 muted Friend 0 for 10 minutes");
  c.clock.Advance(601s);
  CHECK(SendPolicy(c, id, lei).can_send());
  CHECK_FALSE(GetGroup(c, lei, id).me().has_mute_end_time());

  Ok(c, STUB(MuteMember), admin, MuteRequest(id, zhao, 3600));
  Ok(c, STUB(MuteMember), admin, MuteRequest(id, zhao, 0));
  CHECK(SendPolicy(c, id, zhao).can_send());
  CHECK(c.NoticeKinds(lei, id).back() == "group.member_unmuted");

  // Mute-all: only the owner and admins speak.
  auto mute_all = ForGroup<v1::MuteAllRequest>(id);
  mute_all.set_muted(true);
  CHECK(Refused(c, STUB(MuteAll), lei, mute_all, kDenied) == "NOT_ADMIN");
  CHECK(Ok(c, STUB(MuteAll), admin, mute_all).group().mute_all());
  CHECK(SendPolicy(c, id, lei).refusal() == v1::SEND_REFUSAL_ALL_MUTED);
  CHECK(SendPolicy(c, id, admin).can_send());
  CHECK(SendPolicy(c, id, mei).can_send());
  CHECK(c.NoticeKinds(lei, id).back() == "group.mute_all_on");
  // Turning on what is on changes nothing and says nothing.
  size_t notice_count = c.NoticeKinds(lei, id).size();
  Ok(c, STUB(MuteAll), admin, mute_all);
  CHECK(c.NoticeKinds(lei, id).size() == notice_count);
  mute_all.set_muted(false);
  Ok(c, STUB(MuteAll), mei, mute_all);
  CHECK(SendPolicy(c, id, lei).can_send());
}

TEST_CASE("Invitations are signed, expire, can be revoked and die with their creator's right",
          "[groups][db]") {
  Cluster c;
  User mei = c.NewUser("Mei");
  auto friends = c.Friends(mei, 2);
  const User& lei = friends[0];
  auto group = CreateGroup(c, mei, friends);
  int64_t id = group.group_id();
  User wu = c.NewUser("Wu");  // nobody's friend: an invitation is enough

  std::string payload = Invite(c, lei, id);
  CHECK(Join(c, wu, payload) == v1::JOIN_OUTCOME_JOINED);
  CHECK(c.MessagingMembers(id).contains(wu.user_id));
  CHECK(c.History(wu, id).front().content().system_notice().text() ==
        "Wu joined the group through an invitation from Friend 0");
  CHECK(Join(c, wu, payload) == v1::JOIN_OUTCOME_ALREADY_MEMBER);
  CHECK(GetGroup(c, wu, id).me().inviter_id() == lei.user_id);

  User qian = c.NewUser("Qian");
  std::string altered = payload;
  altered[10] = altered[10] == 'A' ? 'B' : 'A';
  CHECK(Refused(c, STUB(JoinByInvite), qian, JoinRequest(altered), kInvalid) == "INVITE_INVALID");
  CHECK(Refused(c, STUB(JoinByInvite), qian, JoinRequest("https://example.com/join"), kInvalid) ==
        "INVITE_INVALID");

  // Expiry: from 60 seconds to 7 days.
  auto too_long = ForGroup<v1::CreateInviteRequest>(id);
  too_long.set_ttl_seconds(8 * 86400);
  CHECK(Refused(c, STUB(CreateInvite), mei, too_long, kInvalid) == "TTL_INVALID");
  std::string short_lived = Invite(c, mei, id, 60);
  c.clock.Advance(61s);
  CHECK(Refused(c, STUB(JoinByInvite), qian, JoinRequest(short_lived), kPrecondition) ==
        "INVITE_EXPIRED");

  // Revocation by its creator, or by the owner or an admin; not by other members.
  auto created = Ok(c, STUB(CreateInvite), mei, ForGroup<v1::CreateInviteRequest>(id)).invite();
  auto revoke = ForGroup<v1::RevokeInviteRequest>(id);
  revoke.set_invite_id(created.invite_id());
  CHECK(Refused(c, STUB(RevokeInvite), wu, revoke, kDenied) == "NOT_ADMIN");
  Ok(c, STUB(RevokeInvite), mei, revoke);
  CHECK(Refused(c, STUB(JoinByInvite), qian, JoinRequest(created.payload()), kPrecondition) ==
        "INVITE_REVOKED");
  revoke.set_invite_id(1);
  CHECK(Refused(c, STUB(RevokeInvite), mei, revoke, kNotFound) == "INVITE_NOT_FOUND");

  // An invitation speaks for its creator: it stops when they leave or may no longer invite.
  std::string from_wu = Invite(c, wu, id);
  std::string from_lei = Invite(c, lei, id);
  Ok(c, STUB(LeaveGroup), wu, ForGroup<v1::LeaveGroupRequest>(id));
  CHECK(Refused(c, STUB(JoinByInvite), qian, JoinRequest(from_wu), kPrecondition) ==
        "INVITE_REVOKED");
  auto restrict = SettingsRequest(id);
  restrict.set_who_can_invite(v1::PERMISSION_OWNER_AND_ADMINS);
  Ok(c, STUB(UpdateGroupSettings), mei, restrict);
  CHECK(Refused(c, STUB(JoinByInvite), qian, JoinRequest(from_lei), kPrecondition) ==
        "INVITE_REVOKED");
  CHECK(c.GroupMembers(id) == IdsOf({&mei, &friends[0], &friends[1]}));
}

TEST_CASE("With approval on, those a member brings wait in a queue for the owner or an admin",
          "[groups][db]") {
  Cluster c;
  User mei = c.NewUser("Mei");
  auto friends = c.Friends(mei, 3);
  const User& lei = friends[0];
  const User& admin = friends[1];
  auto group = CreateGroup(c, mei, friends);
  int64_t id = group.group_id();
  Ok(c, STUB(SetAdmin), mei, AdminRequest(id, admin));
  auto approval = SettingsRequest(id);
  approval.set_join_approval(true);
  CHECK(Ok(c, STUB(UpdateGroupSettings), admin, approval).group().settings().join_approval());

  User wu = c.NewUser("Wu");
  User qian = c.NewUser("Qian");
  User sun = c.NewUser("Sun");
  std::string from_lei = Invite(c, lei, id);
  auto asked = Ok(c, STUB(JoinByInvite), wu, JoinRequest(from_lei, "I am Lei's cousin"));
  CHECK(asked.outcome() == v1::JOIN_OUTCOME_PENDING_APPROVAL);
  CHECK(asked.request_id() > 0);
  // Asking again keeps the one request.
  CHECK(Ok(c, STUB(JoinByInvite), wu, JoinRequest(from_lei)).request_id() == asked.request_id());
  CHECK(Join(c, qian, from_lei) == v1::JOIN_OUTCOME_PENDING_APPROVAL);
  c.BeFriends(lei, sun);
  auto by_member = Ok(c, STUB(AddMembers), lei, AddRequest(id, {sun}));
  CHECK(by_member.added_user_ids().empty());
  CHECK(by_member.pending_user_ids_size() == 1);
  CHECK(c.GroupMembers(id).size() == 4);

  // The owner's and admins' invitations need no approval.
  User zhou = c.NewUser("Zhou");
  CHECK(Join(c, zhou, Invite(c, admin, id)) == v1::JOIN_OUTCOME_JOINED);

  CHECK(Refused(c, STUB(ListJoinRequests), lei, ForGroup<v1::ListJoinRequestsRequest>(id),
                kDenied) == "NOT_ADMIN");
  auto list = ForGroup<v1::ListJoinRequestsRequest>(id);
  list.set_page_size(2);
  auto page = Ok(c, STUB(ListJoinRequests), admin, list);
  REQUIRE(page.requests_size() == 2);
  CHECK(page.requests(0).user_id() == wu.user_id);
  CHECK(page.requests(0).message() == "I am Lei's cousin");
  CHECK(page.requests(0).inviter_id() == lei.user_id);
  list.set_page_token(page.next_page_token());
  auto rest = Ok(c, STUB(ListJoinRequests), admin, list);
  REQUIRE(rest.requests_size() == 1);
  CHECK(rest.requests(0).user_id() == sun.user_id);
  CHECK(rest.next_page_token().empty());

  auto approve = ForGroup<v1::ApproveJoinRequestRequest>(id);
  approve.set_request_id(asked.request_id());
  CHECK(Refused(c, STUB(ApproveJoinRequest), lei, approve, kDenied) == "NOT_ADMIN");
  Ok(c, STUB(ApproveJoinRequest), admin, approve);
  CHECK(c.MessagingMembers(id).contains(wu.user_id));
  CHECK(c.History(wu, id).front().content().system_notice().kind() == "group.join_approved");
  CHECK(Refused(c, STUB(ApproveJoinRequest), admin, approve, kNotFound) ==
        "JOIN_REQUEST_NOT_FOUND");

  auto reject = ForGroup<v1::RejectJoinRequestRequest>(id);
  reject.set_request_id(page.requests(1).request_id());
  Ok(c, STUB(RejectJoinRequest), mei, reject);
  CHECK_FALSE(c.GroupMembers(id).contains(qian.user_id));
  auto left = Ok(c, STUB(ListJoinRequests), mei, ForGroup<v1::ListJoinRequestsRequest>(id));
  REQUIRE(left.requests_size() == 1);
  CHECK(left.requests(0).user_id() == sun.user_id);

  // Joining another way settles the request.
  c.BeFriends(mei, sun);
  CHECK(Ok(c, STUB(AddMembers), mei, AddRequest(id, {sun})).added_user_ids_size() == 1);
  CHECK(Ok(c, STUB(ListJoinRequests), mei, ForGroup<v1::ListJoinRequestsRequest>(id))
            .requests()
            .empty());
}

TEST_CASE("Name, avatar, announcement, settings, pin and each member's own settings",
          "[groups][db]") {
  Cluster c;
  User mei = c.NewUser("Mei");
  auto friends = c.Friends(mei, 2);
  const User& lei = friends[0];
  auto group = CreateGroup(c, mei, friends, "Old name");
  int64_t id = group.group_id();

  // Every member may rename until the owner or an admin restricts it.
  auto rename = ForGroup<v1::UpdateGroupRequest>(id);
  rename.set_name("Weekend hikes");
  CHECK(Ok(c, STUB(UpdateGroup), lei, rename).group().name() == "Weekend hikes");
  CHECK(c.History(mei, id).back().content().system_notice().text() ==
        "Friend 0 renamed the group to \"Weekend hikes\"");
  auto restrict = SettingsRequest(id);
  restrict.set_who_can_edit_name(v1::PERMISSION_OWNER_AND_ADMINS);
  Ok(c, STUB(UpdateGroupSettings), mei, restrict);
  rename.set_name("Lei's group");
  CHECK(Refused(c, STUB(UpdateGroup), lei, rename, kDenied) == "EDIT_NAME_NOT_ALLOWED");
  auto description = ForGroup<v1::UpdateGroupRequest>(id);
  description.set_description("Saturdays, 8 am");
  CHECK(Refused(c, STUB(UpdateGroup), lei, description, kDenied) == "NOT_ADMIN");
  auto updated = Ok(c, STUB(UpdateGroup), mei, description).group();
  CHECK(updated.description() == "Saturdays, 8 am");
  CHECK(updated.name() == "Weekend hikes");
  auto avatar = ForGroup<v1::UpdateGroupRequest>(id);
  avatar.set_avatar("media/abc123");
  CHECK(Ok(c, STUB(UpdateGroup), mei, avatar).group().avatar() == "media/abc123");
  CHECK(c.NoticeKinds(lei, id).back() == "group.avatar_changed");

  // The announcement: owner and admins; every member gets an @all notice.
  auto announce = ForGroup<v1::SetAnnouncementRequest>(id);
  announce.set_text("Bring water.\nStart at the north gate.");
  CHECK(Refused(c, STUB(SetAnnouncement), lei, announce, kDenied) == "NOT_ADMIN");
  auto announced = Ok(c, STUB(SetAnnouncement), mei, announce).group().announcement();
  CHECK(announced.text() == announce.text());
  CHECK(announced.author_id() == mei.user_id);
  CHECK(announced.has_update_time());
  auto last = c.History(lei, id).back();
  CHECK(last.content().system_notice().kind() == "group.announcement");
  CHECK(last.content().mentions().all());
  auto lei_view = c.messaging_store.GetConversation(lei.user_id, id);
  REQUIRE(lei_view.ok());
  CHECK(lei_view->unread_mention_count() == 1);
  announce.set_text(std::string(2001, 'a'));
  CHECK(Refused(c, STUB(SetAnnouncement), mei, announce, kInvalid) == "ANNOUNCEMENT_INVALID");

  // Pinning a message of the conversation.
  REQUIRE(c.Say(lei, id, "meet at 8").ok());
  int64_t seq = c.History(lei, id).back().seq();
  auto pin = ForGroup<v1::PinMessageRequest>(id);
  pin.set_seq(seq);
  CHECK(Refused(c, STUB(PinMessage), lei, pin, kDenied) == "NOT_ADMIN");
  CHECK(Ok(c, STUB(PinMessage), mei, pin).group().pinned_seq() == seq);
  CHECK(c.NoticeKinds(lei, id).back() == "group.message_pinned");
  pin.set_seq(-1);
  CHECK(Refused(c, STUB(PinMessage), mei, pin, kInvalid) == "SEQ_INVALID");

  // Bad settings change nothing.
  auto bad = SettingsRequest(id);
  bad.set_who_can_invite(static_cast<v1::Permission>(7));
  CHECK(Refused(c, STUB(UpdateGroupSettings), mei, bad, kInvalid) == "SETTINGS_INVALID");
  CHECK(GetGroup(c, mei, id).settings().who_can_invite() == v1::PERMISSION_EVERY_MEMBER);

  // Each member's own settings, and the saved groups they list.
  auto other = CreateGroup(c, mei, friends);
  auto mine = ForGroup<v1::UpdateMyGroupSettingsRequest>(id);
  mine.set_saved_to_contacts(true);
  auto settings = Ok(c, STUB(UpdateMyGroupSettings), lei, mine).settings();
  CHECK(settings.saved_to_contacts());
  CHECK(settings.show_nicknames());
  mine.clear_saved_to_contacts();
  mine.set_show_nicknames(false);
  settings = Ok(c, STUB(UpdateMyGroupSettings), lei, mine).settings();
  CHECK(settings.saved_to_contacts());
  CHECK_FALSE(settings.show_nicknames());
  CHECK(GetGroup(c, mei, id).my_settings().saved_to_contacts() == false);
  v1::ListMyGroupsRequest saved;
  saved.set_saved_only(true);
  auto saved_groups = Ok(c, STUB(ListMyGroups), lei, saved);
  REQUIRE(saved_groups.groups_size() == 1);
  CHECK(saved_groups.groups(0).group_id() == id);
  v1::ListMyGroupsRequest paged;
  paged.set_page_size(1);
  auto first = Ok(c, STUB(ListMyGroups), lei, paged);
  REQUIRE(first.groups_size() == 1);
  paged.set_page_token(first.next_page_token());
  auto second = Ok(c, STUB(ListMyGroups), lei, paged);
  REQUIRE(second.groups_size() == 1);
  CHECK(std::set<int64_t>{first.groups(0).group_id(), second.groups(0).group_id()} ==
        std::set<int64_t>{id, other.group_id()});
  CHECK(second.next_page_token().empty());
}

TEST_CASE("Dissolving: owner only, read-only for everyone, nothing changes after", "[groups][db]") {
  Cluster c;
  User mei = c.NewUser("Mei");
  auto friends = c.Friends(mei, 3);
  const User& lei = friends[0];
  auto group = CreateGroup(c, mei, friends);
  int64_t id = group.group_id();
  std::string payload = Invite(c, mei, id);
  REQUIRE(c.Say(lei, id, "bye all").ok());

  CHECK(Refused(c, STUB(DissolveGroup), lei, ForGroup<v1::DissolveGroupRequest>(id), kDenied) ==
        "NOT_OWNER");
  Ok(c, STUB(DissolveGroup), mei, ForGroup<v1::DissolveGroupRequest>(id));
  CHECK(GetGroup(c, lei, id).dissolved());
  CHECK(c.NoticeKinds(lei, id).back() == "group.dissolved");
  CHECK(c.History(lei, id).size() == 3);  // created, bye all, dissolved: history stays readable
  CHECK_FALSE(c.Say(lei, id, "anyone?").ok());
  CHECK(SendPolicy(c, id, lei).refusal() == v1::SEND_REFUSAL_DISSOLVED);

  auto rename = ForGroup<v1::UpdateGroupRequest>(id);
  rename.set_name("zombie");
  CHECK(Refused(c, STUB(UpdateGroup), mei, rename, kPrecondition) == "GROUP_DISSOLVED");
  CHECK(Refused(c, STUB(AddMembers), mei, AddRequest(id, {c.Friends(mei, 1)[0]}), kPrecondition) ==
        "GROUP_DISSOLVED");
  CHECK(Refused(c, STUB(JoinByInvite), c.NewUser("Late"), JoinRequest(payload), kPrecondition) ==
        "GROUP_DISSOLVED");
  CHECK(Refused(c, STUB(DissolveGroup), mei, ForGroup<v1::DissolveGroupRequest>(id),
                kPrecondition) == "GROUP_DISSOLVED");
  // Anyone, the owner too, may drop a dissolved group from their list.
  Ok(c, STUB(LeaveGroup), mei, ForGroup<v1::LeaveGroupRequest>(id));
  CHECK(c.GroupMembers(id).size() == 3);
  CHECK(c.PendingChanges(id) == 0);
}

TEST_CASE("600 joins racing for the last 10 places of a 490-member group end at exactly 500",
          "[groups][db][concurrency]") {
  Cluster c;
  User mei = c.NewUser("Mei");
  auto friends = c.Friends(mei, 489);
  auto group = CreateGroup(c, mei, {friends[0], friends[1]});
  int64_t id = group.group_id();
  std::vector<User> rest(friends.begin() + 2, friends.end());
  Ok(c, STUB(AddMembers), mei, AddRequest(id, rest));
  REQUIRE(c.GroupMembers(id).size() == 490);
  std::string payload = Invite(c, mei, id);

  std::vector<User> joiners;
  for (int i = 0; i < 600; ++i) joiners.push_back(c.NewUser("Joiner " + std::to_string(i)));
  std::atomic<size_t> next{0};
  std::atomic<int> joined{0}, full{0}, other{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 48; ++t) {
    threads.emplace_back([&] {
      for (size_t i = next++; i < joiners.size(); i = next++) {
        v1::JoinByInviteResponse response;
        grpc::ClientContext context;
        context.AddMetadata("authorization", "Bearer " + joiners[i].token);
        grpc::Status status = c.groups->JoinByInvite(&context, JoinRequest(payload), &response);
        if (status.ok() && response.outcome() == v1::JOIN_OUTCOME_JOINED) {
          ++joined;
        } else if (status.error_code() == grpc::StatusCode::FAILED_PRECONDITION) {
          ++full;
        } else {
          ++other;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(joined.load() == 10);
  CHECK(full.load() == 590);
  CHECK(other.load() == 0);
  auto members = c.GroupMembers(id);  // checks member_count == rows
  CHECK(members.size() == 500);
  CHECK(c.MessagingMembers(id) == members);
  CHECK(c.PendingChanges(id) == 0);
  CHECK(GetGroup(c, mei, id).member_count() == 500);

  // Full is full for every way in, and a refusal changes nothing.
  User late = c.Friends(mei, 1, "Late")[0];
  CHECK(Refused(c, STUB(AddMembers), mei, AddRequest(id, {late}), kPrecondition) == "GROUP_FULL");
  CHECK(Refused(c, STUB(JoinByInvite), late, JoinRequest(payload), kPrecondition) == "GROUP_FULL");
  CHECK(c.GroupMembers(id).size() == 500);

  SECTION("a storm of leaves, removals and joins keeps groups and messaging agreeing") {
    std::vector<User> leavers, removed;
    for (const User& user : joiners) {
      if (!members.contains(user.user_id)) continue;
      (leavers.size() < 5 ? leavers : removed).push_back(user);
    }
    for (size_t i = 0; i < 40; ++i) removed.push_back(rest[i]);
    std::vector<User> newcomers(joiners.begin(), joiners.begin() + 100);
    std::erase_if(newcomers, [&](const User& user) { return members.contains(user.user_id); });

    // Catch2's assertions are not thread-safe: threads count outcomes, the test checks them.
    std::atomic<int> storm_joined{0}, storm_failed{0};
    auto call = [&](auto method, const User& user, const auto& request, auto response) {
      grpc::ClientContext context;
      context.AddMetadata("authorization", "Bearer " + user.token);
      grpc::Status status = ((*c.groups).*method)(&context, request, &response);
      return status;
    };
    std::vector<std::thread> storm;
    for (const User& leaver : leavers) {
      storm.emplace_back([&, leaver] {
        if (!call(STUB(LeaveGroup), leaver, ForGroup<v1::LeaveGroupRequest>(id),
                  v1::LeaveGroupResponse())
                 .ok()) {
          ++storm_failed;
        }
      });
    }
    for (size_t i = 0; i < removed.size(); i += 5) {
      std::vector<User> batch(removed.begin() + i,
                              removed.begin() + std::min(i + 5, removed.size()));
      storm.emplace_back([&, batch] {
        if (!call(STUB(RemoveMembers), mei, RemoveRequest(id, batch), v1::RemoveMembersResponse())
                 .ok()) {
          ++storm_failed;
        }
      });
    }
    for (size_t t = 0; t < 8; ++t) {
      storm.emplace_back([&, t] {
        for (size_t i = t; i < newcomers.size(); i += 8) {
          grpc::Status status = call(STUB(JoinByInvite), newcomers[i], JoinRequest(payload),
                                     v1::JoinByInviteResponse());
          if (status.ok()) {
            ++storm_joined;
          } else if (status.error_code() != grpc::StatusCode::FAILED_PRECONDITION) {
            ++storm_failed;
          }
        }
      });
    }
    for (auto& thread : storm) thread.join();
    CHECK(storm_failed.load() == 0);
    auto after = c.GroupMembers(id);
    CHECK(after.size() == 500 - leavers.size() - removed.size() + storm_joined.load());
    CHECK(after.size() <= 500);
    CHECK(c.MessagingMembers(id) == after);
    CHECK(c.PendingChanges(id) == 0);
  }
}

TEST_CASE("Changes committed while messaging is down reach it later, in order and once",
          "[groups][db][outbox]") {
  Cluster c(/*messaging_up=*/false);
  User mei = c.NewUser("Mei");
  auto friends = c.Friends(mei, 3);
  const User& lei = friends[0];

  // Groups answers: the changes are committed, with messaging still to hear of them.
  auto group = CreateGroup(c, mei, {friends[0], friends[1]});
  int64_t id = group.group_id();
  Ok(c, STUB(AddMembers), mei, AddRequest(id, {friends[2]}));
  auto rename = ForGroup<v1::UpdateGroupRequest>(id);
  rename.set_name("Offline");
  Ok(c, STUB(UpdateGroup), mei, rename);
  CHECK(c.PendingChanges(id) == 3);
  CHECK(c.MessagingMembers(id).empty());
  CHECK(c.messaging_store.GetConversation(mei.user_id, id).status().code() ==
        absl::StatusCode::kNotFound);
  // Groups is the truth at once: the new member sees the group and may send.
  CHECK(GetGroup(c, friends[2], id).member_count() == 4);
  CHECK(SendPolicy(c, id, friends[2]).can_send());

  // Retries back off while messaging stays down.
  c.relay->DeliverDue();
  CHECK(c.PendingChanges(id) == 3);
  int attempts = c.pg.Transact([&](pqxx::work& tx) -> absl::StatusOr<int> {
                       return tx
                           .exec_params1(
                               "SELECT attempts FROM groups.outbox WHERE group_id = $1 "
                               "ORDER BY outbox_id LIMIT 1",
                               id)[0]
                           .as<int>();
                     })
                     .value();
  CHECK(attempts >= 1);

  c.StartMessaging();
  for (int round = 0; round < 100 && c.PendingChanges(id) > 0; ++round) {
    c.clock.Advance(10min);
    c.relay->DeliverDue();
    if (c.PendingChanges(id) > 0) std::this_thread::sleep_for(50ms);
  }
  REQUIRE(c.PendingChanges(id) == 0);
  CHECK(c.MessagingMembers(id) == c.GroupMembers(id));
  CHECK(c.NoticeKinds(lei, id) ==
        std::vector<std::string>{"group.created", "group.members_invited", "group.renamed"});

  SECTION("a delivery that crashed before it was recorded is repeated harmlessly") {
    // The store queues changes the way the service does, without the service delivering them.
    REQUIRE(c.groups_store.SetMuteAll(mei.user_id, id, true).ok());
    User wu = c.Friends(mei, 1, "Wu")[0];
    REQUIRE(c.groups_store.AddMembers(mei.user_id, id, {wu.user_id}).ok());
    for (int i = 0; i < 2; ++i) {
      auto claimed = c.groups_store.ClaimOutboxHead(id, plaza::groups::OutboxRelay::kLease);
      REQUIRE(claimed.ok());
      REQUIRE(claimed->has_value());
      // Messaging applies it, then the deliverer dies before recording it.
      REQUIRE(c.relay->Apply(id, **claimed).ok());
      // Meanwhile its lease keeps everyone else off the group.
      c.relay->DeliverDue();
      CHECK(c.PendingChanges(id) == 2 - i);
      c.clock.Advance(plaza::groups::OutboxRelay::kLease + 1s);
      // The next deliverer repeats it (and completes it), then stops before the next change.
      auto head = c.groups_store.ClaimOutboxHead(id, plaza::groups::OutboxRelay::kLease);
      REQUIRE(head.ok());
      REQUIRE(head->has_value());
      REQUIRE(c.relay->Apply(id, **head).ok());
      REQUIRE(c.groups_store.CompleteOutbox(id, (*head)->outbox_id).ok());
    }
    CHECK(c.PendingChanges(id) == 0);
    CHECK(c.NoticeKinds(lei, id) ==
          std::vector<std::string>{"group.created", "group.members_invited", "group.renamed",
                                   "group.mute_all_on", "group.members_invited"});
    CHECK(c.MessagingMembers(id) == c.GroupMembers(id));
  }
}

TEST_CASE("Every change of who may speak is announced, so messaging forgets what it remembered",
          "[groups][db]") {
  Cluster c;
  std::mutex mutex;
  std::vector<std::string> announced;
  plaza::redis::SubscriberOptions options;
  options.url = c.redis_url;
  options.channels = {std::string(plaza::events::kGroupChangesChannel)};
  options.on_message = [&](std::string_view, std::string_view payload) {
    std::lock_guard lock(mutex);
    announced.emplace_back(payload);
  };
  plaza::redis::Subscriber subscriber(std::move(options));
  REQUIRE(subscriber.WaitSubscribed(std::chrono::seconds(5)));
  User owner = c.NewUser("Owner");
  auto friends = c.Friends(owner, 4);
  User joiner = c.NewUser("Joiner");
  int64_t group = CreateGroup(c, owner, {friends[0], friends[1], friends[2]}).group_id();
  Ok(c, STUB(MuteMember), owner, MuteRequest(group, friends[0], 600));
  auto mute_all = ForGroup<v1::MuteAllRequest>(group);
  mute_all.set_muted(true);
  Ok(c, STUB(MuteAll), owner, mute_all);
  Ok(c, STUB(SetAdmin), owner, AdminRequest(group, friends[1]));
  Ok(c, STUB(AddMembers), owner, AddRequest(group, {friends[3]}));
  Ok(c, STUB(RemoveMembers), owner, RemoveRequest(group, {friends[3]}));
  CHECK(Join(c, joiner, Invite(c, owner, group)) == v1::JOIN_OUTCOME_JOINED);
  Ok(c, STUB(LeaveGroup), joiner, ForGroup<v1::LeaveGroupRequest>(group));
  auto transfer = ForGroup<v1::TransferOwnershipRequest>(group);
  transfer.set_new_owner_id(friends[1].user_id);
  Ok(c, STUB(TransferOwnership), owner, transfer);
  Ok(c, STUB(DissolveGroup), friends[1], ForGroup<v1::DissolveGroupRequest>(group));
  // A refused change is not announced.
  v1::MuteAllResponse refused;
  CHECK_FALSE(CallAs(*c.groups, STUB(MuteAll), &friends[2], mute_all, &refused).ok());

  const size_t expected = 10;  // the creation and the nine changes
  for (int i = 0; i < 500; ++i) {
    {
      std::lock_guard lock(mutex);
      if (announced.size() >= expected) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  std::lock_guard lock(mutex);
  CHECK(announced == std::vector<std::string>(expected, plaza::events::EncodeGroupChange(group)));
}

TEST_CASE("Every client method needs a token, and ids are checked before anything is read",
          "[groups][db]") {
  Cluster c;
  std::vector<plaza::testing::Outcome> outcomes;
  auto anonymous = [&](auto method, auto request) {
    typename decltype(plaza::testing::ResponseOf(method))::type response;
    outcomes.push_back(plaza::testing::Call(*c.groups, method, "", request, &response));
  };
  anonymous(STUB(CreateGroup), v1::CreateGroupRequest());
  anonymous(STUB(GetGroup), v1::GetGroupRequest());
  anonymous(STUB(ListMyGroups), v1::ListMyGroupsRequest());
  anonymous(STUB(UpdateGroup), v1::UpdateGroupRequest());
  anonymous(STUB(SetAnnouncement), v1::SetAnnouncementRequest());
  anonymous(STUB(UpdateGroupSettings), v1::UpdateGroupSettingsRequest());
  anonymous(STUB(MuteAll), v1::MuteAllRequest());
  anonymous(STUB(MuteMember), v1::MuteMemberRequest());
  anonymous(STUB(SetAdmin), v1::SetAdminRequest());
  anonymous(STUB(TransferOwnership), v1::TransferOwnershipRequest());
  anonymous(STUB(PinMessage), v1::PinMessageRequest());
  anonymous(STUB(DissolveGroup), v1::DissolveGroupRequest());
  anonymous(STUB(AddMembers), v1::AddMembersRequest());
  anonymous(STUB(RemoveMembers), v1::RemoveMembersRequest());
  anonymous(STUB(LeaveGroup), v1::LeaveGroupRequest());
  anonymous(STUB(CreateInvite), v1::CreateInviteRequest());
  anonymous(STUB(RevokeInvite), v1::RevokeInviteRequest());
  anonymous(STUB(JoinByInvite), v1::JoinByInviteRequest());
  anonymous(STUB(ListJoinRequests), v1::ListJoinRequestsRequest());
  anonymous(STUB(ApproveJoinRequest), v1::ApproveJoinRequestRequest());
  anonymous(STUB(RejectJoinRequest), v1::RejectJoinRequestRequest());
  anonymous(STUB(ListMembers), v1::ListMembersRequest());
  anonymous(STUB(SetMyGroupNickname), v1::SetMyGroupNicknameRequest());
  anonymous(STUB(UpdateMyGroupSettings), v1::UpdateMyGroupSettingsRequest());
  REQUIRE(outcomes.size() == 24);
  for (const auto& outcome : outcomes) {
    CHECK(outcome.code == grpc::StatusCode::UNAUTHENTICATED);
    CHECK(outcome.reason == "TOKEN_MISSING");
  }

  User mei = c.NewUser("Mei");
  CHECK(Refused(c, STUB(GetGroup), mei, v1::GetGroupRequest(), kInvalid) == "GROUP_ID_INVALID");
  v1::MuteMemberRequest mute;
  mute.set_group_id(1);
  mute.set_duration_seconds(60);
  CHECK(Refused(c, STUB(MuteMember), mei, mute, kInvalid) == "USER_ID_INVALID");
  v1::RevokeInviteRequest revoke;
  revoke.set_group_id(1);
  CHECK(Refused(c, STUB(RevokeInvite), mei, revoke, kInvalid) == "INVITE_ID_INVALID");
  v1::GetSendPolicyRequest policy;
  policy.set_group_id(1);
  v1::GetSendPolicyResponse verdict;
  CHECK(CallAs(*c.groups_internal_stub, &v1::InternalService::Stub::GetSendPolicy, nullptr, policy,
               &verdict)
            .reason == "USER_ID_INVALID");
}
