#pragma once

// What a message may contain and what may be done with it, without a database: validation of
// everything a client sends, the recall and edit windows, and the text that search indexes.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "plaza/groups/v1/internal_service.pb.h"
#include "plaza/messaging/v1/messages.pb.h"

namespace plaza::messaging {

inline constexpr size_t kMaxTextBytes = 16 * 1024;
inline constexpr size_t kMaxCardPayloadBytes = 4096;
inline constexpr int kMaxMentions = 100;
inline constexpr std::chrono::minutes kRecallWindow{2};
inline constexpr std::chrono::minutes kEditWindow{15};

// Who is sending: clients may not post cards or system notices; services (InternalService) may.
enum class Author { kClient, kService };

// 1..64 bytes of [A-Za-z0-9._:-]; INVALID_ARGUMENT CLIENT_MESSAGE_ID_INVALID otherwise.
absl::Status ValidateClientMessageId(std::string_view id);

// Exactly one body, every field within its limits, and a body `author` may send.
// INVALID_ARGUMENT with reason CONTENT_EMPTY, TEXT_INVALID, MEDIA_INVALID, LOCATION_INVALID,
// STICKER_INVALID, CONTACT_CARD_INVALID, LINK_INVALID, CARD_INVALID, NOTICE_INVALID,
// MENTIONS_INVALID or REPLY_INVALID; PERMISSION_DENIED CONTENT_NOT_ALLOWED for a client's card or
// notice. `group` allows @all.
absl::Status ValidateContent(const v1::MessageContent& content, Author author, bool group);

// The words a message is found by: its text, a file's name, a link's title and description, a
// place's label, a card's fallback text. Empty for bodies without words.
std::string SearchableText(const v1::MessageContent& content);

// May the sender still recall (edit) a message sent at `sent_at`, at `now`?
bool WithinRecallWindow(std::chrono::system_clock::time_point sent_at,
                        std::chrono::system_clock::time_point now);
bool WithinEditWindow(std::chrono::system_clock::time_point sent_at,
                      std::chrono::system_clock::time_point now);

// Groups' answer to "may this member send now", as a status: OK, or PERMISSION_DENIED
// NOT_A_MEMBER, MUTED (saying until when), ALL_MUTED, MENTION_ALL_NOT_ALLOWED (a message with
// @all from someone who may not mention everyone), SEND_REFUSED (a refusal this build does not
// know), or FAILED_PRECONDITION CONVERSATION_CLOSED for a dissolved group.
absl::Status SendVerdict(const groups::v1::GetSendPolicyResponse& policy, bool mentions_all);

// The client message id of copy `index` (0-based) of a forward sent with `client_message_id`,
// so a retried forward stores each copy once.
std::string ForwardCopyId(std::string_view client_message_id, int index);

}  // namespace plaza::messaging
