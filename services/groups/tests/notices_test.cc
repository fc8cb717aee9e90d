#include "services/groups/notices.h"

#include <catch2/catch.hpp>

using namespace plaza::groups;

namespace {

const std::map<int64_t, std::string> kNames = {{1, "Mei"}, {2, "Lei"}, {3, "Zhao"}, {4, "Wu"}};

std::vector<int64_t> UserIds(const plaza::messaging::v1::SystemNotice& notice) {
  return {notice.user_ids().begin(), notice.user_ids().end()};
}

}  // namespace

TEST_CASE("Notices name the actor first, then the others concerned", "[groups][notices]") {
  ConversationChange created{.op = ConversationOp::kCreate,
                             .notice_kind = std::string(notice_kind::kCreated),
                             .actor_id = 1,
                             .user_ids = {1, 2, 3}};
  auto notice = RenderNotice(created, kNames);
  CHECK(notice.kind() == "group.created");
  CHECK(notice.text() == "Mei created the group with Lei and Zhao");
  CHECK(UserIds(notice) == std::vector<int64_t>{1, 2, 3});

  ConversationChange left{.op = ConversationOp::kRemoveMembers,
                          .notice_kind = std::string(notice_kind::kMemberLeft),
                          .actor_id = 4,
                          .user_ids = {4}};
  CHECK(RenderNotice(left, kNames).text() == "Wu left the group");
  CHECK(UserIds(RenderNotice(left, kNames)) == std::vector<int64_t>{4});

  ConversationChange joined{.op = ConversationOp::kAddMembers,
                            .notice_kind = std::string(notice_kind::kMemberJoined),
                            .actor_id = 1,
                            .user_ids = {4}};
  CHECK(RenderNotice(joined, kNames).text() ==
        "Wu joined the group through an invitation from Mei");

  ConversationChange muted{.notice_kind = std::string(notice_kind::kMemberMuted),
                           .actor_id = 1,
                           .user_ids = {2},
                           .detail = DescribeDuration(std::chrono::minutes(10))};
  CHECK(RenderNotice(muted, kNames).text() == "Mei muted Lei for 10 minutes");
}

TEST_CASE("Unknown names and long lists stay readable", "[groups][notices]") {
  ConversationChange invited{.op = ConversationOp::kAddMembers,
                             .notice_kind = std::string(notice_kind::kMembersInvited),
                             .actor_id = 99};
  for (int64_t id = 1; id <= 13; ++id) invited.user_ids.push_back(id);
  auto text = RenderNotice(invited, kNames).text();
  CHECK(text.starts_with("a member invited Mei, Lei, Zhao, Wu, a member, "));
  CHECK(text.ends_with(" and 3 others to the group"));
  // Names are looked up for the actor and the first ten others only.
  CHECK(NamedUsers(invited).size() == 1 + kNamedSubjects);
  CHECK(NamedUsers(invited).front() == 99);
}

TEST_CASE("Placeholders in names or details are not expanded again", "[groups][notices]") {
  ConversationChange renamed{
      .notice_kind = std::string(notice_kind::kRenamed), .actor_id = 5, .detail = "{actor} fans"};
  auto notice = RenderNotice(renamed, {{5, "{detail}"}});
  CHECK(notice.text() == "{detail} renamed the group to \"{actor} fans\"");
  CHECK(RenderNotice({.notice_kind = "group.something_new", .actor_id = 1}, kNames).text() ==
        "Mei changed the group");
}

TEST_CASE("Announcements mention everyone and are cut to the notice limit", "[groups][notices]") {
  std::string long_text;
  for (int i = 0; i < 400; ++i) long_text += "公告";  // 2400 bytes
  ConversationChange announcement{.op = ConversationOp::kPostNotice,
                                  .notice_kind = std::string(notice_kind::kAnnouncement),
                                  .actor_id = 1,
                                  .detail = long_text};
  auto notice = RenderNotice(announcement, kNames);
  CHECK(notice.text().size() <= kMaxNoticeTextBytes);
  CHECK(notice.text().starts_with("Mei posted an announcement: 公告"));
  CHECK(notice.text().ends_with("…"));
  auto content = NoticeContent(announcement, notice);
  CHECK(content.mentions().all());
  CHECK(content.system_notice().kind() == "group.announcement");

  ConversationChange renamed{.notice_kind = std::string(notice_kind::kRenamed), .actor_id = 1};
  CHECK_FALSE(NoticeContent(renamed, RenderNotice(renamed, kNames)).mentions().all());
}

TEST_CASE("Text is cut on character boundaries", "[groups][notices]") {
  CHECK(TruncateUtf8("hello", 5) == "hello");
  CHECK(TruncateUtf8("hello world", 8) == "hello…");
  // "é" is 2 bytes, "…" 3: 6 bytes leave room for "é" and the ellipsis but not half an "é".
  CHECK(TruncateUtf8("ééé", 5) == "é…");
  CHECK(TruncateUtf8("ééé", 6) == "ééé");
  CHECK(TruncateUtf8("abc", 2) == "ab");
}

TEST_CASE("Durations read in their largest whole unit", "[groups][notices]") {
  using namespace std::chrono;
  CHECK(DescribeDuration(seconds(60)) == "1 minute");
  CHECK(DescribeDuration(minutes(10)) == "10 minutes");
  CHECK(DescribeDuration(minutes(90)) == "1 hour");
  CHECK(DescribeDuration(hours(48)) == "2 days");
  CHECK(DescribeDuration(seconds(59)) == "59 seconds");
}
