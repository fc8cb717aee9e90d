#include "services/messaging/message_rules.h"

#include <catch2/catch.hpp>

#include "plaza/core/status.h"

using namespace plaza::messaging;
using plaza::messaging::v1::MessageContent;

namespace {

std::string ReasonFor(const MessageContent& content, Author author = Author::kClient,
                      bool group = false) {
  auto status = ValidateContent(content, author, group);
  return status.ok() ? "OK" : plaza::ReasonOf(status);
}

MessageContent Text(const std::string& text) {
  MessageContent content;
  content.mutable_text()->set_text(text);
  return content;
}

MessageContent Image() {
  MessageContent content;
  auto* image = content.mutable_image();
  image->set_media_id("m-1");
  image->set_mime_type("image/jpeg");
  image->set_size_bytes(1024);
  image->set_width(640);
  image->set_height(480);
  return content;
}

}  // namespace

TEST_CASE("client message ids are short and plain") {
  CHECK(ValidateClientMessageId("a").ok());
  CHECK(ValidateClientMessageId("dev-1:2024.01_x").ok());
  CHECK(ValidateClientMessageId(std::string(64, 'x')).ok());
  for (const std::string& bad : {std::string(), std::string(65, 'x'), std::string("a b"),
                                 std::string("a#1"), std::string("é")}) {
    CHECK(plaza::ReasonOf(ValidateClientMessageId(bad)) == "CLIENT_MESSAGE_ID_INVALID");
  }
}

TEST_CASE("texts are 1..16384 bytes of UTF-8") {
  CHECK(ReasonFor(Text("你好")) == "OK");
  CHECK(ReasonFor(Text("line one\nline two")) == "OK");
  CHECK(ReasonFor(Text(std::string(kMaxTextBytes, 'a'))) == "OK");
  CHECK(ReasonFor(Text(std::string(kMaxTextBytes + 1, 'a'))) == "TEXT_INVALID");
  CHECK(ReasonFor(Text("")) == "TEXT_INVALID");
  CHECK(ReasonFor(Text("\xff\xfe")) == "TEXT_INVALID");
  CHECK(ReasonFor(Text(std::string("a\0b", 3))) == "TEXT_INVALID");
  CHECK(ReasonFor(MessageContent()) == "CONTENT_EMPTY");
}

TEST_CASE("media, places, stickers, cards and links are checked field by field") {
  CHECK(ReasonFor(Image()) == "OK");
  auto no_id = Image();
  no_id.mutable_image()->clear_media_id();
  CHECK(ReasonFor(no_id) == "MEDIA_INVALID");
  auto bad_mime = Image();
  bad_mime.mutable_image()->set_mime_type("jpeg");
  CHECK(ReasonFor(bad_mime) == "MEDIA_INVALID");
  auto negative = Image();
  negative.mutable_image()->set_size_bytes(-1);
  CHECK(ReasonFor(negative) == "MEDIA_INVALID");

  MessageContent voice;
  voice.mutable_voice()->set_media_id("v-1");
  voice.mutable_voice()->set_mime_type("audio/ogg");
  voice.mutable_voice()->set_duration_ms(3000);
  CHECK(ReasonFor(voice) == "OK");
  voice.mutable_voice()->set_duration_ms(-5);
  CHECK(ReasonFor(voice) == "MEDIA_INVALID");

  MessageContent file;
  file.mutable_file()->set_media_id("f-1");
  file.mutable_file()->set_mime_type("application/pdf");
  CHECK(ReasonFor(file) == "MEDIA_INVALID");  // a file needs its name
  file.mutable_file()->set_file_name("report.pdf");
  CHECK(ReasonFor(file) == "OK");

  MessageContent place;
  place.mutable_location()->set_latitude(31.23);
  place.mutable_location()->set_longitude(121.47);
  place.mutable_location()->set_label("上海");
  CHECK(ReasonFor(place) == "OK");
  place.mutable_location()->set_latitude(91);
  CHECK(ReasonFor(place) == "LOCATION_INVALID");
  place.mutable_location()->set_latitude(std::numeric_limits<double>::quiet_NaN());
  CHECK(ReasonFor(place) == "LOCATION_INVALID");

  MessageContent link;
  link.mutable_link_card()->set_url("javascript:alert(1)");
  CHECK(ReasonFor(link) == "LINK_INVALID");
  link.mutable_link_card()->set_url("https://plaza.example/a");
  CHECK(ReasonFor(link) == "OK");

  MessageContent contact;
  contact.mutable_contact_card()->set_user_id(0);
  CHECK(ReasonFor(contact) == "CONTACT_CARD_INVALID");

  MessageContent sticker;
  sticker.mutable_sticker()->set_sticker_id("smile");
  CHECK(ReasonFor(sticker) == "OK");
}

TEST_CASE("cards and notices come from services, never from clients") {
  MessageContent card;
  card.mutable_card()->set_type("plaza.payments.red_packet");
  card.mutable_card()->set_payload("\x01\x02");
  card.mutable_card()->set_fallback_text("[Red packet]");
  CHECK(ReasonFor(card) == "CONTENT_NOT_ALLOWED");
  CHECK(ValidateContent(card, Author::kClient, false).code() ==
        absl::StatusCode::kPermissionDenied);
  CHECK(ReasonFor(card, Author::kService) == "OK");
  card.mutable_card()->set_payload(std::string(kMaxCardPayloadBytes + 1, 'x'));
  CHECK(ReasonFor(card, Author::kService) == "CARD_INVALID");

  MessageContent notice;
  notice.mutable_system_notice()->set_kind("group.member_added");
  notice.mutable_system_notice()->set_text("Ann joined");
  CHECK(ReasonFor(notice) == "CONTENT_NOT_ALLOWED");
  CHECK(ReasonFor(notice, Author::kService) == "OK");
}

TEST_CASE("replies and mentions") {
  auto reply = Text("yes");
  reply.set_reply_to_seq(-1);
  CHECK(ReasonFor(reply) == "REPLY_INVALID");
  auto all = Text("hi all");
  all.mutable_mentions()->set_all(true);
  CHECK(ReasonFor(all, Author::kClient, false) == "MENTIONS_INVALID");
  CHECK(ReasonFor(all, Author::kClient, true) == "OK");
  auto many = Text("hi");
  for (int i = 1; i <= kMaxMentions + 1; ++i) many.mutable_mentions()->add_user_ids(i);
  CHECK(ReasonFor(many, Author::kClient, true) == "MENTIONS_INVALID");
  auto zero = Text("hi");
  zero.mutable_mentions()->add_user_ids(0);
  CHECK(ReasonFor(zero) == "MENTIONS_INVALID");
}

TEST_CASE("searchable text comes from the words a message shows") {
  CHECK(SearchableText(Text("你好 world")) == "你好 world");
  CHECK(SearchableText(Image()).empty());
  MessageContent link;
  link.mutable_link_card()->set_title("Plaza");
  link.mutable_link_card()->set_description("chat");
  CHECK(SearchableText(link) == "Plaza\nchat");
}

TEST_CASE("recall within 2 minutes, edit within 15") {
  auto sent = std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000));
  CHECK(WithinRecallWindow(sent, sent + std::chrono::minutes(2)));
  CHECK_FALSE(
      WithinRecallWindow(sent, sent + std::chrono::minutes(2) + std::chrono::milliseconds(1)));
  CHECK(WithinEditWindow(sent, sent + std::chrono::minutes(15)));
  CHECK_FALSE(WithinEditWindow(sent, sent + std::chrono::minutes(16)));
}

TEST_CASE("each forwarded copy has its own stable client id") {
  CHECK(ForwardCopyId("fw-1", 0) == "fw-1#0");
  CHECK(ForwardCopyId("fw-1", 0) != ForwardCopyId("fw-1", 1));
}

TEST_CASE("stickers and notices need their ids and kinds") {
  MessageContent sticker;
  sticker.mutable_sticker()->set_sticker_id("bad id!");
  CHECK(ReasonFor(sticker) == "STICKER_INVALID");
  MessageContent notice;
  notice.mutable_system_notice()->set_kind("");
  CHECK(ReasonFor(notice, Author::kService) == "NOTICE_INVALID");
}

TEST_CASE("groups' send policy becomes a status with a reason") {
  namespace gv1 = plaza::groups::v1;
  auto reason = [](const gv1::GetSendPolicyResponse& policy, bool mentions_all) {
    auto status = SendVerdict(policy, mentions_all);
    return status.ok() ? std::string("OK") : plaza::ReasonOf(status);
  };
  gv1::GetSendPolicyResponse member;
  member.set_can_send(true);
  CHECK(reason(member, false) == "OK");
  CHECK(reason(member, true) == "MENTION_ALL_NOT_ALLOWED");
  gv1::GetSendPolicyResponse admin = member;
  admin.set_can_mention_all(true);
  CHECK(reason(admin, true) == "OK");

  gv1::GetSendPolicyResponse refused;
  refused.set_refusal(gv1::SEND_REFUSAL_NOT_A_MEMBER);
  CHECK(reason(refused, false) == "NOT_A_MEMBER");
  refused.set_refusal(gv1::SEND_REFUSAL_ALL_MUTED);
  CHECK(reason(refused, false) == "ALL_MUTED");
  refused.set_refusal(gv1::SEND_REFUSAL_DISSOLVED);
  CHECK(SendVerdict(refused, false).code() == absl::StatusCode::kFailedPrecondition);
  CHECK(reason(refused, false) == "CONVERSATION_CLOSED");
  refused.set_refusal(gv1::SEND_REFUSAL_MUTED);
  refused.mutable_mute_end_time()->set_seconds(1'800'000'000);
  auto muted = SendVerdict(refused, false);
  CHECK(plaza::ReasonOf(muted) == "MUTED");
  CHECK(muted.message().find("2027-01-15T08:00:00Z") != std::string_view::npos);
  refused.set_refusal(static_cast<gv1::SendRefusal>(99));  // from a newer groups
  CHECK(reason(refused, false) == "SEND_REFUSED");
}
