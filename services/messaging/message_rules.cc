#include "services/messaging/message_rules.h"

#include <google/protobuf/util/time_util.h>

#include <cmath>
#include <set>

#include "plaza/core/status.h"
#include "plaza/core/text.h"

namespace plaza::messaging {
namespace {

using v1::MessageContent;

constexpr size_t kMaxIdBytes = 128;
constexpr int64_t kMaxMediaBytes = int64_t{4} * 1024 * 1024 * 1024;

absl::Status Invalid(std::string_view reason, std::string_view message) {
  return InvalidArgument(reason, message);
}

// Optional free text: valid UTF-8 without control characters, at most `max_bytes`.
bool ShortText(std::string_view text, size_t max_bytes, bool required = false) {
  if (text.empty()) return !required;
  if (text.size() > max_bytes || !core::Utf8Length(text).has_value()) return false;
  for (char c : text) {
    if (static_cast<unsigned char>(c) < 0x20 && c != '\n') return false;
  }
  return true;
}

bool IdLike(std::string_view id, bool required = true) {
  if (id.empty()) return !required;
  if (id.size() > kMaxIdBytes) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.' || c == ':' || c == '/';
    if (!ok) return false;
  }
  return true;
}

absl::Status ValidateMedia(const v1::MediaBody& media, bool is_file) {
  bool ok = IdLike(media.media_id()) && IdLike(media.thumbnail_media_id(), false) &&
            ShortText(media.mime_type(), 128, true) &&
            media.mime_type().find('/') != std::string::npos && media.size_bytes() >= 0 &&
            media.size_bytes() <= kMaxMediaBytes && media.width() >= 0 && media.height() >= 0 &&
            media.duration_ms() >= 0 && ShortText(media.file_name(), 255, is_file);
  if (!ok) {
    return Invalid(
        "MEDIA_INVALID",
        "media needs a media_id, a mime type like image/jpeg, sizes >= 0 and, for files, "
        "a name of at most 255 bytes");
  }
  return absl::OkStatus();
}

bool HttpUrl(std::string_view url) {
  if (!ShortText(url, 2048, true)) return false;
  return url.starts_with("https://") || url.starts_with("http://");
}

}  // namespace

absl::Status ValidateClientMessageId(std::string_view id) {
  bool ok = !id.empty() && id.size() <= 64;
  for (char c : id) {
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '.' || c == '_' || c == ':' || c == '-');
  }
  if (!ok) {
    return Invalid("CLIENT_MESSAGE_ID_INVALID",
                   "client_message_id must be 1..64 characters of A-Z a-z 0-9 . _ : -");
  }
  return absl::OkStatus();
}

absl::Status ValidateContent(const MessageContent& content, Author author, bool group) {
  switch (content.body_case()) {
    case MessageContent::BODY_NOT_SET:
      return Invalid("CONTENT_EMPTY", "a message needs a body (text, image, ...)");
    case MessageContent::kText:
      if (content.text().text().size() > kMaxTextBytes) {
        return Invalid("TEXT_INVALID", "a text holds at most 16384 bytes");
      }
      PLAZA_RETURN_IF_ERROR(
          core::ValidateText("text", content.text().text(), 1, kMaxTextBytes, true));
      break;
    case MessageContent::kImage:
      PLAZA_RETURN_IF_ERROR(ValidateMedia(content.image(), false));
      break;
    case MessageContent::kVoice:
      PLAZA_RETURN_IF_ERROR(ValidateMedia(content.voice(), false));
      break;
    case MessageContent::kVideo:
      PLAZA_RETURN_IF_ERROR(ValidateMedia(content.video(), false));
      break;
    case MessageContent::kFile:
      PLAZA_RETURN_IF_ERROR(ValidateMedia(content.file(), true));
      break;
    case MessageContent::kLocation: {
      const auto& location = content.location();
      if (!std::isfinite(location.latitude()) || !std::isfinite(location.longitude()) ||
          std::abs(location.latitude()) > 90 || std::abs(location.longitude()) > 180 ||
          !ShortText(location.label(), 256)) {
        return Invalid("LOCATION_INVALID",
                       "a location needs latitude -90..90, longitude -180..180 and a label of at "
                       "most 256 bytes");
      }
      break;
    }
    case MessageContent::kSticker:
      if (!IdLike(content.sticker().sticker_id()) || !IdLike(content.sticker().pack_id(), false)) {
        return Invalid("STICKER_INVALID", "a sticker needs a sticker_id (and optional pack_id)");
      }
      break;
    case MessageContent::kContactCard:
      if (content.contact_card().user_id() <= 0) {
        return Invalid("CONTACT_CARD_INVALID", "a contact card names a user id");
      }
      break;
    case MessageContent::kLinkCard: {
      const auto& link = content.link_card();
      if (!HttpUrl(link.url()) || !ShortText(link.title(), 256) ||
          !ShortText(link.description(), 1024) || !IdLike(link.thumbnail_media_id(), false)) {
        return Invalid("LINK_INVALID",
                       "a link card needs an http(s) url of at most 2048 bytes, a title of at most "
                       "256 and a description of at most 1024");
      }
      break;
    }
    case MessageContent::kCard: {
      if (author == Author::kClient) {
        return PermissionDenied("CONTENT_NOT_ALLOWED", "cards are posted by Plaza services only");
      }
      const auto& card = content.card();
      if (!IdLike(card.type()) || card.type().size() > 64 ||
          card.payload().size() > kMaxCardPayloadBytes || !ShortText(card.fallback_text(), 256)) {
        return Invalid("CARD_INVALID",
                       "a card needs a type, a payload of at most 4096 bytes and "
                       "a fallback text of at most 256");
      }
      break;
    }
    case MessageContent::kSystemNotice:
      if (author == Author::kClient) {
        return PermissionDenied("CONTENT_NOT_ALLOWED", "system notices are posted by Plaza only");
      }
      if (!IdLike(content.system_notice().kind()) ||
          !ShortText(content.system_notice().text(), 1024) ||
          content.system_notice().user_ids_size() > 500) {
        return Invalid("NOTICE_INVALID", "a notice needs a kind and a text of at most 1024 bytes");
      }
      break;
  }
  if (content.reply_to_seq() < 0) {
    return Invalid("REPLY_INVALID", "reply_to_seq must be a message's sequence, or 0");
  }
  const auto& mentions = content.mentions();
  if (mentions.user_ids_size() > kMaxMentions) {
    return Invalid("MENTIONS_INVALID", "a message mentions at most 100 users");
  }
  for (int64_t user_id : mentions.user_ids()) {
    if (user_id <= 0) return Invalid("MENTIONS_INVALID", "mentions name user ids");
  }
  if (mentions.all() && !group) {
    return Invalid("MENTIONS_INVALID", "@all is for group conversations");
  }
  return absl::OkStatus();
}

std::string SearchableText(const MessageContent& content) {
  switch (content.body_case()) {
    case MessageContent::kText:
      return content.text().text();
    case MessageContent::kFile:
      return content.file().file_name();
    case MessageContent::kLinkCard:
      return content.link_card().title() + "\n" + content.link_card().description();
    case MessageContent::kLocation:
      return content.location().label();
    case MessageContent::kCard:
      return content.card().fallback_text();
    default:
      return "";
  }
}

bool WithinRecallWindow(std::chrono::system_clock::time_point sent_at,
                        std::chrono::system_clock::time_point now) {
  return now - sent_at <= kRecallWindow;
}

bool WithinEditWindow(std::chrono::system_clock::time_point sent_at,
                      std::chrono::system_clock::time_point now) {
  return now - sent_at <= kEditWindow;
}

std::string ForwardCopyId(std::string_view client_message_id, int index) {
  return std::string(client_message_id) + "#" + std::to_string(index);
}

absl::Status SendVerdict(const groups::v1::GetSendPolicyResponse& policy, bool mentions_all) {
  if (policy.can_send()) {
    if (mentions_all && !policy.can_mention_all()) {
      return PermissionDenied("MENTION_ALL_NOT_ALLOWED",
                              "only the owner and admins may mention everyone");
    }
    return absl::OkStatus();
  }
  switch (policy.refusal()) {
    case groups::v1::SEND_REFUSAL_NOT_A_MEMBER:
      return PermissionDenied("NOT_A_MEMBER", "you are no longer a member of this conversation");
    case groups::v1::SEND_REFUSAL_MUTED:
      return PermissionDenied(
          "MUTED", "an owner or admin muted you in this group until " +
                       google::protobuf::util::TimeUtil::ToString(policy.mute_end_time()));
    case groups::v1::SEND_REFUSAL_ALL_MUTED:
      return PermissionDenied("ALL_MUTED",
                              "only the owner and admins may speak while the group is muted");
    case groups::v1::SEND_REFUSAL_DISSOLVED:
      return FailedPrecondition("CONVERSATION_CLOSED", "this conversation is read-only now");
    default:
      return PermissionDenied("SEND_REFUSED", "the group does not let you send now");
  }
}

}  // namespace plaza::messaging
