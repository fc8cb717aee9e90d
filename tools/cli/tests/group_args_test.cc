#include "tools/cli/group_args.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

using plaza::cli::Invocation;
using plaza::cli::IsUsageError;
using plaza::cli::PeerRef;

namespace {

Invocation With(std::vector<std::string> args,
                std::map<std::string, std::string, std::less<>> flags = {}) {
  Invocation invocation;
  invocation.args = std::move(args);
  invocation.flags = std::move(flags);
  return invocation;
}

template <typename T>
std::string UsageMessage(const absl::StatusOr<T>& parsed) {
  REQUIRE_FALSE(parsed.ok());
  CHECK(IsUsageError(parsed.status()));
  return std::string(parsed.status().message());
}

}  // namespace

TEST_CASE("A group is its id, or the c:<id> of its conversation", "[cli][group]") {
  CHECK(*plaza::cli::ParseGroupId("249812163806412800") == 249812163806412800);
  CHECK(*plaza::cli::ParseGroupId("c:77") == 77);
  for (std::string_view bad : {"", "c:", "bob_1", "-5", "0", "c:x", "12a", "c:c:1"}) {
    auto parsed = plaza::cli::ParseGroupId(bad);
    REQUIRE_FALSE(parsed.ok());
    CHECK(IsUsageError(parsed.status()));
  }
  CHECK(UsageMessage(plaza::cli::ParseGroupId("trip")) ==
        "a group is its id (as plaza group list prints it), not 'trip'");
}

TEST_CASE("Durations are numbers with units s, m, h, d", "[cli][group]") {
  using plaza::cli::ParseDuration;
  CHECK(*ParseDuration("the mute", "90s") == 90);
  CHECK(*ParseDuration("the mute", "10m") == 600);
  CHECK(*ParseDuration("the mute", "2h") == 7200);
  CHECK(*ParseDuration("the mute", "1d") == 86400);
  CHECK(*ParseDuration("the mute", "1h30m") == 5400);
  CHECK(*ParseDuration("the mute", "1d12h") == 129600);
  CHECK(*ParseDuration("the mute", "0m") == 0);
  for (std::string_view bad :
       {"", "10", "m", "10x", "-5m", "1.5h", "10 m", "10M", "h10", "1234567890s", "off"}) {
    auto parsed = ParseDuration("the mute", bad);
    REQUIRE_FALSE(parsed.ok());
    CHECK(IsUsageError(parsed.status()));
  }
  CHECK(UsageMessage(ParseDuration("--ttl", "10")) ==
        "--ttl must be a time like 90s, 10m, 2h, 1d or 1h30m, not '10'");
}

TEST_CASE("Durations print in the form they are read", "[cli][group]") {
  using plaza::cli::FormatDuration;
  CHECK(FormatDuration(0) == "0s");
  CHECK(FormatDuration(90) == "1m30s");
  CHECK(FormatDuration(600) == "10m");
  CHECK(FormatDuration(5400) == "1h30m");
  CHECK(FormatDuration(604800) == "7d");
  CHECK(FormatDuration(90061) == "1d1h1m1s");
  for (int64_t seconds : {60, 3600, 86399, 2592000}) {
    CHECK(*plaza::cli::ParseDuration("x", FormatDuration(seconds)) == seconds);
  }
}

TEST_CASE("Switches are on or off", "[cli][group]") {
  CHECK(*plaza::cli::ParseOnOff("--all", "on"));
  CHECK_FALSE(*plaza::cli::ParseOnOff("--all", "off"));
  CHECK(UsageMessage(plaza::cli::ParseOnOff("--all", "yes")) == "--all is on or off, not 'yes'");
}

TEST_CASE("Client request ids keep to groups' alphabet", "[cli][group]") {
  using plaza::cli::ValidClientRequestId;
  CHECK(ValidClientRequestId("cli-19aa56d6000-00000000000000ab"));
  CHECK(ValidClientRequestId("trip.2025:v_1"));
  CHECK(ValidClientRequestId(std::string(64, 'a')));
  CHECK_FALSE(ValidClientRequestId(""));
  CHECK_FALSE(ValidClientRequestId(std::string(65, 'a')));
  CHECK_FALSE(ValidClientRequestId("with space"));
  CHECK_FALSE(ValidClientRequestId("旅行"));
}

TEST_CASE("group create: a name, friends, and a request id", "[cli][group]") {
  auto parsed = plaza::cli::ParseGroupCreate(With({"Trip", "bob_1", "42"}), "cli-1-2");
  REQUIRE(parsed.ok());
  CHECK(parsed->name == "Trip");
  REQUIRE(parsed->friends.size() == 2);
  CHECK(parsed->friends[0].kind == PeerRef::Kind::kSearch);
  CHECK(parsed->friends[0].query == "bob_1");
  CHECK(parsed->friends[1].kind == PeerRef::Kind::kUserId);
  CHECK(parsed->friends[1].id == 42);
  CHECK(parsed->client_request_id == "cli-1-2");

  auto chosen =
      plaza::cli::ParseGroupCreate(With({"", "1", "2"}, {{"request-id", "trip-1"}}), "unused");
  REQUIRE(chosen.ok());
  CHECK(chosen->name.empty());
  CHECK(chosen->client_request_id == "trip-1");

  CHECK(UsageMessage(plaza::cli::ParseGroupCreate(With({"Trip"}), "x")) ==
        "name at least one friend: a user id, Plaza ID or phone number");
  CHECK(UsageMessage(plaza::cli::ParseGroupCreate(With({"Trip", "c:5"}), "x")) ==
        "name a user here, not a conversation");
  CHECK(UsageMessage(
            plaza::cli::ParseGroupCreate(With({"Trip", "1"}, {{"request-id", "a b"}}), "x")) ==
        "--request-id is 1 to 64 of A-Z a-z 0-9 . _ : -, not 'a b'");
}

TEST_CASE("group invite: friends, or a link with a lifetime", "[cli][group]") {
  using plaza::cli::ParseGroupInvite;
  auto friends = ParseGroupInvite(With({"77", "bob_1", "+8613900139000"}));
  REQUIRE(friends.ok());
  CHECK(friends->group_id == 77);
  CHECK_FALSE(friends->link);
  CHECK(friends->friends.size() == 2);

  auto link = ParseGroupInvite(With({"c:77"}, {{"link", ""}, {"ttl", "1d"}}));
  REQUIRE(link.ok());
  CHECK(link->group_id == 77);
  CHECK(link->link);
  CHECK(link->ttl_seconds == 86400);
  CHECK(link->friends.empty());

  auto default_ttl = ParseGroupInvite(With({"77"}, {{"link", ""}}));
  REQUIRE(default_ttl.ok());
  CHECK(default_ttl->ttl_seconds == 0);

  CHECK(UsageMessage(ParseGroupInvite(With({"77", "bob_1"}, {{"link", ""}}))) ==
        "invite friends or make a --link, not both");
  CHECK(UsageMessage(ParseGroupInvite(With({"77"}))) ==
        "name friends to add, or --link for an invitation anyone can use");
  CHECK(UsageMessage(ParseGroupInvite(With({"77", "bob_1"}, {{"ttl", "1h"}}))) ==
        "--ttl is for --link");
  CHECK(UsageMessage(ParseGroupInvite(With({"77"}, {{"link", ""}, {"ttl", "0s"}}))) ==
        "--ttl must be longer than 0s");
  CHECK(IsUsageError(ParseGroupInvite(With({"77"}, {{"link", ""}, {"ttl", "7"}})).status()));
}

TEST_CASE("group mute: a member for a while, off, or everyone", "[cli][group]") {
  using plaza::cli::ParseGroupMute;
  auto member = ParseGroupMute(With({"77", "bob_1", "2h"}));
  REQUIRE(member.ok());
  CHECK(member->group_id == 77);
  CHECK_FALSE(member->mute_all.has_value());
  CHECK(member->member.query == "bob_1");
  CHECK(member->duration_seconds == 7200);

  auto lifted = ParseGroupMute(With({"77", "42", "off"}));
  REQUIRE(lifted.ok());
  CHECK(lifted->member.id == 42);
  CHECK(lifted->duration_seconds == 0);

  auto all = ParseGroupMute(With({"77"}, {{"all", "on"}}));
  REQUIRE(all.ok());
  CHECK(all->mute_all == true);
  auto none = ParseGroupMute(With({"77"}, {{"all", "off"}}));
  REQUIRE(none.ok());
  CHECK(none->mute_all == false);

  CHECK(UsageMessage(ParseGroupMute(With({"77", "bob_1"}))) ==
        "usage: plaza group mute <group_id> (<member> <duration|off> | --all on|off)");
  CHECK(UsageMessage(ParseGroupMute(With({"77", "bob_1"}, {{"all", "on"}}))) ==
        "--all mutes everyone: name no member with it");
  CHECK(UsageMessage(ParseGroupMute(With({"77"}, {{"all", "maybe"}}))) ==
        "--all is on or off, not 'maybe'");
  CHECK(UsageMessage(ParseGroupMute(With({"77", "bob_1", "0m"}))) ==
        "a mute of 0s: say off to lift one");
  CHECK(IsUsageError(ParseGroupMute(With({"77", "bob_1", "10"})).status()));
  CHECK(IsUsageError(ParseGroupMute(With({"77", "c:9", "10m"})).status()));
}

TEST_CASE("group admin: a member, on or off", "[cli][group]") {
  auto on = plaza::cli::ParseGroupAdmin(With({"77", "bob_1", "on"}));
  REQUIRE(on.ok());
  CHECK(on->group_id == 77);
  CHECK(on->member.query == "bob_1");
  CHECK(on->admin);
  auto off = plaza::cli::ParseGroupAdmin(With({"77", "42", "off"}));
  REQUIRE(off.ok());
  CHECK_FALSE(off->admin);
  CHECK(UsageMessage(plaza::cli::ParseGroupAdmin(With({"77", "42", "admin"}))) ==
        "admin is on or off, not 'admin'");
}

TEST_CASE("chat: a friend or conversation, or --group", "[cli][group]") {
  auto group = plaza::cli::ParseChatTarget(With({}, {{"group", "77"}}));
  REQUIRE(group.ok());
  CHECK(group->group);
  CHECK(group->peer.kind == PeerRef::Kind::kConversationId);
  CHECK(group->peer.id == 77);

  auto peer = plaza::cli::ParseChatTarget(With({"bob_1"}));
  REQUIRE(peer.ok());
  CHECK_FALSE(peer->group);
  CHECK(peer->peer.query == "bob_1");

  CHECK(UsageMessage(plaza::cli::ParseChatTarget(With({"bob_1"}, {{"group", "77"}}))) ==
        "chat with a friend, a c:ID or a --group, not two");
  CHECK(UsageMessage(plaza::cli::ParseChatTarget(With({}))) ==
        "usage: plaza chat (<friend|c:ID> | --group <group_id>)");
  CHECK(IsUsageError(plaza::cli::ParseChatTarget(With({}, {{"group", "bob_1"}})).status()));
}

TEST_CASE("read-counts: a group and sequences, each once", "[cli][group]") {
  auto parsed = plaza::cli::ParseReadCounts(With({"c:77", "12", "#13", "12"}));
  REQUIRE(parsed.ok());
  CHECK(parsed->conversation_id == 77);
  CHECK(parsed->seqs == std::vector<int64_t>{12, 13});
  CHECK(UsageMessage(plaza::cli::ParseReadCounts(With({"77", "0"}))) ==
        "a message's seq is positive, not '0'");
  CHECK(IsUsageError(plaza::cli::ParseReadCounts(With({"77", "x"})).status()));
  CHECK(IsUsageError(plaza::cli::ParseReadCounts(With({"77"})).status()));
}
