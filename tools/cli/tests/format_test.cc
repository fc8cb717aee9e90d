#include "tools/cli/format.h"

#include <google/protobuf/util/time_util.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <ctime>

#include "plaza/core/status.h"

using google::protobuf::util::TimeUtil;
using plaza::cli::NameBook;
using plaza::messaging::v1::Conversation;
using plaza::messaging::v1::Message;

namespace {

// 2027-01-15 08:00:00 UTC; tests render times in UTC.
constexpr int64_t kNow = 1'800'000'000;

void UseUtc() {
  ::setenv("TZ", "UTC", 1);
  ::tzset();
}

NameBook Names() { return NameBook{.me = 1, .names = {{2, "Bob"}, {3, "美丽"}}}; }

Message Text(int64_t seq, int64_t sender, const std::string& text, int64_t at = kNow - 60) {
  Message message;
  message.set_conversation_id(77);
  message.set_seq(seq);
  message.set_sender_id(sender);
  *message.mutable_send_time() = TimeUtil::SecondsToTimestamp(at);
  message.mutable_content()->mutable_text()->set_text(text);
  return message;
}

}  // namespace

TEST_CASE("JSON strings escape quotes, backslashes and control characters", "[cli][format]") {
  CHECK(plaza::cli::JsonQuote("a\"b\\c\nd\te\x01 你好") == R"("a\"b\\c\nd\te\u0001 你好")");
}

TEST_CASE("JSON objects take strings, numbers, booleans and JSON", "[cli][format]") {
  std::string json = plaza::cli::JsonObject()
                         .Add("name", "Mei")
                         .AddNumber("count", 3)
                         .AddBool("ok", true)
                         .AddJson("nested", "{}")
                         .str();
  CHECK(json == R"({"name":"Mei","count":3,"ok":true,"nested":{}})");
  CHECK(plaza::cli::JsonObject().str() == "{}");
}

TEST_CASE("Protos print as one line with snake_case names and zero values", "[cli][format]") {
  Conversation conversation;
  conversation.set_conversation_id(77);
  std::string json = plaza::cli::ProtoJson(conversation);
  CHECK(json.find('\n') == std::string::npos);
  CHECK(json.find(R"("conversation_id":"77")") != std::string::npos);
  CHECK(json.find(R"("unread_count":"0")") != std::string::npos);
}

TEST_CASE("Errors read as one line on stderr and as a JSON object", "[cli][format]") {
  absl::Status with_reason = plaza::NotFound("USER_NOT_FOUND", "no such user");
  CHECK(plaza::cli::ErrorLine(with_reason) == "plaza: no such user (NOT_FOUND, USER_NOT_FOUND)");
  CHECK(plaza::cli::ErrorJson(with_reason) ==
        R"({"error":{"code":"NOT_FOUND","reason":"USER_NOT_FOUND","message":"no such user"}})");

  absl::Status bare = absl::UnavailableError("cannot reach \"x\"");
  CHECK(plaza::cli::ErrorLine(bare) == "plaza: cannot reach \"x\" (UNAVAILABLE)");
  CHECK(plaza::cli::ErrorJson(bare) ==
        R"({"error":{"code":"UNAVAILABLE","reason":"","message":"cannot reach \"x\""}})");

  absl::Status limited = plaza::cli::WithRetryAfter(
      plaza::ResourceExhausted("RATE_LIMITED", "too many requests"), 1500);
  CHECK(plaza::cli::RetryAfterMs(limited) == 1500);
  CHECK(plaza::cli::RetryAfterMs(bare) == 0);
  CHECK(plaza::cli::ErrorLine(limited) ==
        "plaza: too many requests; retry after 1500 ms (RESOURCE_EXHAUSTED, RATE_LIMITED)");
  CHECK(plaza::cli::ErrorJson(limited) ==
        R"({"error":{"code":"RESOURCE_EXHAUSTED","reason":"RATE_LIMITED",)"
        R"("message":"too many requests","retry_after_ms":1500}})");
}

TEST_CASE("Display width counts wide characters twice", "[cli][format]") {
  CHECK(plaza::cli::DisplayWidth("abc") == 3);
  CHECK(plaza::cli::DisplayWidth("你好") == 4);
  CHECK(plaza::cli::DisplayWidth("é") == 1);
  CHECK(plaza::cli::DisplayWidth("\xff\xfe") == 2);  // malformed bytes count one each
}

TEST_CASE("OneLine flattens and cuts to a width", "[cli][format]") {
  CHECK(plaza::cli::OneLine("a\nb\tc", 10) == "a b c");
  CHECK(plaza::cli::OneLine("one\n  two", 10) == "one two");
  CHECK(plaza::cli::OneLine("abcdefghij", 8) == "abcde...");
  CHECK(plaza::cli::OneLine("你好世界你好", 8) == "你好...");
}

TEST_CASE("Tables align by display width and leave the last column unpadded", "[cli][format]") {
  CHECK(plaza::cli::RenderTable({"ID", "NAME", "NOTE"}, {{"1", "美丽", "x"}, {"22", "Bob", ""}}) ==
        "ID  NAME  NOTE\n"
        "1   美丽  x\n"
        "22  Bob   \n");
  CHECK(plaza::cli::RenderFields({{"name", "Mei"}, {"user id", "1"}}) ==
        "name:     Mei\n"
        "user id:  1\n");
}

TEST_CASE("Times show the clock today and the date otherwise", "[cli][format]") {
  UseUtc();
  CHECK(plaza::cli::FormatTime(kNow - 60, kNow) == "07:59");
  CHECK(plaza::cli::FormatTime(kNow - 9 * 3600, kNow) == "2027-01-14 23:00");
}

TEST_CASE("Names come from the book, me, or the user id", "[cli][format]") {
  NameBook names = Names();
  CHECK(names.NameOf(1) == "me");
  CHECK(names.NameOf(2) == "Bob");
  CHECK(names.NameOf(9) == "user 9");
  CHECK(names.NameOf(0) == "Plaza");
  plaza::identity::v1::Profile profile;
  profile.set_display_name("Mei");
  CHECK(plaza::cli::ProfileName(profile) == "Mei");
  profile.set_plaza_id("mei_88");
  CHECK(plaza::cli::ProfileName(profile) == "Mei (@mei_88)");
}

TEST_CASE("Lists of names read as a sentence", "[cli][format]") {
  CHECK(plaza::cli::JoinNames({}).empty());
  CHECK(plaza::cli::JoinNames({"Bob"}) == "Bob");
  CHECK(plaza::cli::JoinNames({"Bob", "Lin"}) == "Bob and Lin");
  CHECK(plaza::cli::JoinNames({"Bob", "Lin", "user 42"}) == "Bob, Lin and user 42");
}

TEST_CASE("Message bodies describe themselves", "[cli][format]") {
  using plaza::messaging::v1::MessageContent;
  MessageContent content;
  content.mutable_voice()->set_duration_ms(3400);
  CHECK(plaza::cli::DescribeContent(content) == "[voice 3s]");
  content.mutable_file()->set_file_name("report.pdf");
  CHECK(plaza::cli::DescribeContent(content) == "[file report.pdf]");
  content.mutable_location()->set_label("Canton Tower");
  CHECK(plaza::cli::DescribeContent(content) == "[location: Canton Tower]");
  content.mutable_link_card()->set_url("https://plaza.example");
  CHECK(plaza::cli::DescribeContent(content) == "[link: https://plaza.example]");
  content.mutable_card()->set_type("plaza.payments.red_packet");
  CHECK(plaza::cli::DescribeContent(content) == "[plaza.payments.red_packet]");
  content.mutable_card()->set_fallback_text("[Red packet]");
  CHECK(plaza::cli::DescribeContent(content) == "[Red packet]");
  CHECK(plaza::cli::DescribeContent(MessageContent()) == "[empty message]");
}

TEST_CASE("Messages render with time, sender and marks", "[cli][format]") {
  UseUtc();
  NameBook names = Names();
  CHECK(plaza::cli::RenderMessage(Text(5, 2, "hi"), names, kNow, false) == "[07:59] Bob: hi");
  CHECK(plaza::cli::RenderMessage(Text(5, 1, "hi"), names, kNow, true) == "#5 [07:59] me: hi");
  CHECK(plaza::cli::RenderMessage(Text(5, 2, "one\ntwo"), names, kNow, false) ==
        "[07:59] Bob: one\n  two");

  Message edited = Text(6, 2, "fixed");
  edited.set_edit_count(1);
  edited.set_forwarded(true);
  edited.mutable_content()->set_reply_to_seq(5);
  CHECK(plaza::cli::RenderMessage(edited, names, kNow, false) ==
        "[07:59] Bob: (forwarded) (re #5) fixed (edited)");

  Message recalled = Text(7, 2, "");
  recalled.set_state(plaza::messaging::v1::MESSAGE_STATE_RECALLED);
  recalled.clear_content();
  CHECK(plaza::cli::RenderMessage(recalled, names, kNow, false) ==
        "[07:59] Bob recalled a message");

  Message notice = Text(8, 0, "");
  notice.mutable_content()->mutable_system_notice()->set_text("Bob joined");
  CHECK(plaza::cli::RenderMessage(notice, names, kNow, false) == "[07:59] * Bob joined");
}

TEST_CASE("Conversations list with unread counts and the badge", "[cli][format]") {
  UseUtc();
  plaza::messaging::v1::ListConversationsResponse response;
  CHECK(plaza::cli::RenderConversations(response, Names(), kNow).starts_with("No conversations"));
  auto* direct = response.add_conversations();
  direct->set_conversation_id(77);
  direct->set_kind(plaza::messaging::v1::CONVERSATION_KIND_DIRECT);
  direct->set_peer_user_id(2);
  direct->set_unread_count(2);
  *direct->mutable_last_message() = Text(9, 2, "see you\nsoon");
  auto* group = response.add_conversations();
  group->set_conversation_id(78);
  group->set_kind(plaza::messaging::v1::CONVERSATION_KIND_GROUP);
  group->set_group_id(78);
  group->mutable_settings()->set_muted(true);
  group->set_unread_count(4);
  group->set_unread_mention_count(1);
  response.set_total_unread_count(2);
  CHECK(plaza::cli::RenderConversations(response, Names(), kNow) ==
        "CONVERSATION  WITH              UNREAD  LAST MESSAGE\n"
        "c:77          Bob               2       [07:59] Bob: see you soon\n"
        "c:78          group 78 (muted)  4 (@1)  \n"
        "Unread in total: 2\n");
}

TEST_CASE("History pages show sequences and how to go further back", "[cli][format]") {
  UseUtc();
  plaza::messaging::v1::GetHistoryResponse response;
  CHECK(plaza::cli::RenderHistory(response, Names(), kNow) == "No messages.\n");
  *response.add_messages() = Text(11, 2, "older");
  *response.add_messages() = Text(12, 1, "newer");
  response.set_has_more(true);
  CHECK(plaza::cli::RenderHistory(response, Names(), kNow) ==
        "#11 [07:59] Bob: older\n"
        "#12 [07:59] me: newer\n"
        "(older messages: --before 11)\n");
}

TEST_CASE("Sync output groups changes by conversation", "[cli][format]") {
  UseUtc();
  plaza::messaging::v1::SyncResponse response;
  CHECK(plaza::cli::RenderSync(response, Names(), kNow) == "Nothing new.\nUnread in total: 0\n");
  auto* changes = response.add_changes();
  changes->mutable_conversation()->set_conversation_id(77);
  changes->mutable_conversation()->set_kind(plaza::messaging::v1::CONVERSATION_KIND_DIRECT);
  changes->mutable_conversation()->set_peer_user_id(3);
  changes->mutable_conversation()->set_unread_count(1);
  *changes->add_messages() = Text(4, 3, "你好");
  changes->add_deleted_seqs(2);
  changes->add_deleted_seqs(3);
  response.set_total_unread_count(1);
  CHECK(plaza::cli::RenderSync(response, Names(), kNow) ==
        "c:77 with 美丽: 1 unread\n"
        "  #4 [07:59] 美丽: 你好\n"
        "  deleted by you: #2, #3\n"
        "Unread in total: 1\n");

  changes->clear_deleted_seqs();
  changes->set_reset(true);
  CHECK(plaza::cli::RenderSync(response, Names(), kNow) ==
        "c:77 with 美丽: 1 unread\n"
        "  (too much changed; the newest messages:)\n"
        "  #4 [07:59] 美丽: 你好\n"
        "Unread in total: 1\n");
  changes->clear_messages();
  CHECK(plaza::cli::RenderSync(response, Names(), kNow) ==
        "c:77 with 美丽: 1 unread\n"
        "Unread in total: 1\n");
}

TEST_CASE("Friend lists, requests, search and profile render for people", "[cli][format]") {
  UseUtc();
  plaza::identity::v1::ListFriendsResponse friends;
  CHECK(plaza::cli::RenderFriends(friends).starts_with("No friends yet."));
  auto* bob = friends.add_friends();
  bob->mutable_profile()->set_user_id(2);
  bob->mutable_profile()->set_display_name("Bob");
  bob->mutable_profile()->set_plaza_id("bob_1");
  bob->set_remark("Bobby");
  CHECK(plaza::cli::RenderFriends(friends) ==
        "USER  NAME  PLAZA ID  REMARK\n"
        "2     Bob   bob_1     Bobby\n");

  plaza::identity::v1::ListFriendRequestsResponse requests;
  auto* request = requests.add_requests();
  request->set_request_id(9);
  request->set_status(plaza::identity::v1::FRIEND_REQUEST_STATUS_PENDING);
  request->set_greeting("hi, it's Bob");
  *request->mutable_create_time() = TimeUtil::SecondsToTimestamp(kNow - 60);
  *request->mutable_peer() = bob->profile();
  CHECK(plaza::cli::RenderFriendRequests(requests, false, kNow) ==
        "REQUEST  FROM                  STATUS   SENT   GREETING\n"
        "9        Bob (@bob_1), user 2  pending  07:59  hi, it's Bob\n"
        "Accept one with: plaza accept <request>\n");

  plaza::identity::v1::SearchUserResponse found;
  *found.mutable_profile() = bob->profile();
  CHECK(plaza::cli::RenderSearch(found, 1) ==
        "Bob (@bob_1), user 2\nNot your friend yet: plaza add 2\n");
  CHECK(plaza::cli::RenderSearch(found, 2) == "Bob (@bob_1), user 2\nThat is you.\n");
  found.set_is_friend(true);
  CHECK(plaza::cli::RenderSearch(found, 1) == "Bob (@bob_1), user 2\nAlready your friend.\n");

  plaza::identity::v1::GetMyProfileResponse mine;
  mine.mutable_profile()->set_user_id(1);
  mine.mutable_profile()->set_display_name("Mei");
  mine.set_phone("+8613800138000");
  std::string rendered = plaza::cli::RenderMyProfile(mine);
  CHECK(rendered.find("Plaza ID:                (not set: plaza profile --plaza-id NAME)\n") !=
        std::string::npos);
  CHECK(rendered.find("phone:                   +8613800138000\n") != std::string::npos);
}

TEST_CASE("JSON objects merge into one", "[cli][format]") {
  CHECK(plaza::cli::MergeJsonObjects(R"({"a":1})", R"({"b":[2]})") == R"({"a":1,"b":[2]})");
  CHECK(plaza::cli::MergeJsonObjects("{}", R"({"b":2})") == R"({"b":2})");
  CHECK(plaza::cli::MergeJsonObjects(R"({"a":1})", "{}") == R"({"a":1})");
}

TEST_CASE("Read counts read as 'read by N of M', also beside my messages in history",
          "[cli][format]") {
  UseUtc();
  plaza::messaging::v1::GetReadCountsResponse counts;
  CHECK(plaza::cli::RenderReadCounts(counts) == "No messages.\n");
  auto* count = counts.add_read_counts();
  count->set_seq(12);
  count->set_read_count(2);
  count->set_audience_count(5);
  CHECK(plaza::cli::ReadCountText(*count) == "read by 2 of 5");
  CHECK(plaza::cli::RenderReadCounts(counts) ==
        "MESSAGE  READ\n"
        "#12      read by 2 of 5\n");

  plaza::messaging::v1::GetHistoryResponse history;
  *history.add_messages() = Text(11, 2, "older");
  *history.add_messages() = Text(12, 1, "mine");
  CHECK(plaza::cli::RenderHistory(history, Names(), kNow, {{12, *count}}) ==
        "#11 [07:59] Bob: older\n"
        "#12 [07:59] me: mine  (read by 2 of 5)\n");
}

namespace {

plaza::identity::v1::ListFriendsResponse Friends() {
  plaza::identity::v1::ListFriendsResponse friends;
  auto* bob = friends.add_friends();
  bob->mutable_profile()->set_user_id(2);
  bob->mutable_profile()->set_display_name("Bob");
  auto* lin = friends.add_friends();
  lin->mutable_profile()->set_user_id(3);
  lin->mutable_profile()->set_display_name("Lin");
  lin->set_remark("Lin from work");
  return friends;
}

plaza::groups::v1::Member Member(int64_t user_id, plaza::groups::v1::MemberRole role,
                                 const std::string& nickname) {
  plaza::groups::v1::Member member;
  member.set_user_id(user_id);
  member.set_role(role);
  member.set_nickname(nickname);
  *member.mutable_join_time() = TimeUtil::SecondsToTimestamp(kNow - 120);
  return member;
}

}  // namespace

TEST_CASE("Group names: my remark, else the group nickname, else the friend's name",
          "[cli][format]") {
  using plaza::groups::v1::MEMBER_ROLE_MEMBER;
  plaza::groups::v1::ListMembersResponse members;
  *members.add_members() = Member(2, MEMBER_ROLE_MEMBER, "Bobby");
  *members.add_members() = Member(3, MEMBER_ROLE_MEMBER, "Lin L.");
  *members.add_members() = Member(4, MEMBER_ROLE_MEMBER, "Wei");
  *members.add_members() = Member(5, MEMBER_ROLE_MEMBER, "");

  NameBook shown = plaza::cli::GroupNames(1, Friends(), members, /*show_nicknames=*/true);
  CHECK(shown.NameOf(1) == "me");
  CHECK(shown.NameOf(2) == "Bobby");
  CHECK(shown.NameOf(3) == "Lin from work");
  CHECK(shown.NameOf(4) == "Wei");
  CHECK(shown.NameOf(5) == "user 5");

  NameBook hidden = plaza::cli::GroupNames(1, Friends(), members, /*show_nicknames=*/false);
  CHECK(hidden.NameOf(2) == "Bob");
  CHECK(hidden.NameOf(3) == "Lin from work");
  CHECK(hidden.NameOf(4) == "user 4");
  CHECK(plaza::cli::FriendNames(1, Friends()).names == hidden.names);
}

TEST_CASE("Groups list with size, my role and what limits them", "[cli][format]") {
  UseUtc();
  plaza::groups::v1::ListMyGroupsResponse response;
  CHECK(plaza::cli::RenderGroups(response, kNow).starts_with("You are in no group."));
  auto* trip = response.add_groups();
  trip->set_group_id(77);
  trip->set_name("Weekend trip");
  trip->set_member_count(5);
  trip->mutable_me()->set_role(plaza::groups::v1::MEMBER_ROLE_OWNER);
  auto* quiet = response.add_groups();
  quiet->set_group_id(78);
  quiet->set_member_count(3);
  quiet->set_mute_all(true);
  quiet->mutable_me()->set_role(plaza::groups::v1::MEMBER_ROLE_MEMBER);
  *quiet->mutable_me()->mutable_mute_end_time() = TimeUtil::SecondsToTimestamp(kNow + 3600);
  CHECK(plaza::cli::RenderGroups(response, kNow) ==
        "GROUP  NAME          MEMBERS  ME      NOTES\n"
        "77     Weekend trip  5        owner   \n"
        "78                   3        member  only admins speak, you are muted until 09:00\n");
  CHECK(plaza::cli::GroupTitle(*trip) == "Weekend trip");
  CHECK(plaza::cli::GroupTitle(*quiet) == "group 78");
}

TEST_CASE("Group info shows the group, then members with names, nicknames and roles",
          "[cli][format]") {
  UseUtc();
  using plaza::groups::v1::MEMBER_ROLE_ADMIN;
  using plaza::groups::v1::MEMBER_ROLE_MEMBER;
  using plaza::groups::v1::MEMBER_ROLE_OWNER;
  plaza::groups::v1::Group group;
  group.set_group_id(77);
  group.set_name("Weekend trip");
  group.set_owner_id(1);
  group.set_member_count(4);
  *group.mutable_create_time() = TimeUtil::SecondsToTimestamp(kNow - 86400);
  group.mutable_me()->set_role(MEMBER_ROLE_OWNER);
  group.mutable_announcement()->set_text("Bring\nboots");
  group.mutable_announcement()->set_author_id(2);
  *group.mutable_announcement()->mutable_update_time() = TimeUtil::SecondsToTimestamp(kNow - 60);
  group.mutable_settings()->set_join_approval(true);
  group.mutable_settings()->set_who_can_invite(plaza::groups::v1::PERMISSION_OWNER_AND_ADMINS);

  plaza::groups::v1::ListMembersResponse members;
  *members.add_members() = Member(1, MEMBER_ROLE_OWNER, "");
  *members.add_members() = Member(2, MEMBER_ROLE_ADMIN, "Bobby");
  auto muted = Member(4, MEMBER_ROLE_MEMBER, "");
  *muted.mutable_mute_end_time() = TimeUtil::SecondsToTimestamp(kNow + 600);
  *members.add_members() = muted;
  members.set_next_page_token("more");

  std::string text = plaza::cli::RenderGroupInfo(group, members, Names(), kNow);
  CHECK(text ==
        "name:            Weekend trip\n"
        "group id:        77 (chat: plaza chat --group 77)\n"
        "owner:           me\n"
        "members:         4\n"
        "you are:         owner\n"
        "created:         2027-01-14 08:00\n"
        "announcement:    Bring boots (Bob, 07:59)\n"
        "who may speak:   every member\n"
        "who may invite:  owner and admins\n"
        "who may rename:  every member\n"
        "joining:         needs an owner's or admin's approval\n"
        "\n"
        "USER  NAME  NICKNAME  ROLE    JOINED  MUTED UNTIL\n"
        "1     me              owner   07:58   \n"
        "2     Bob   Bobby     admin   07:58   \n"
        "4                     member  07:58   08:10\n"
        "(the first 3 of 4 members; all of them: plaza group info 77 --all)\n");
}

TEST_CASE("Joining says joined, waiting, or already in", "[cli][format]") {
  plaza::groups::v1::JoinByInviteResponse response;
  response.set_group_id(77);
  response.set_outcome(plaza::groups::v1::JOIN_OUTCOME_JOINED);
  CHECK(plaza::cli::RenderJoin(response) == "You joined group 77. Chat: plaza chat --group 77\n");
  response.set_outcome(plaza::groups::v1::JOIN_OUTCOME_PENDING_APPROVAL);
  response.set_request_id(9);
  CHECK(plaza::cli::RenderJoin(response) ==
        "Your request 9 to join group 77 waits for an owner's or admin's approval.\n");
  response.set_outcome(plaza::groups::v1::JOIN_OUTCOME_ALREADY_MEMBER);
  CHECK(plaza::cli::RenderJoin(response) == "You already are a member of group 77.\n");
}
