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
