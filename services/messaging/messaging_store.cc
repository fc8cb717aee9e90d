#include "services/messaging/messaging_store.h"

#include <google/protobuf/util/time_util.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <set>

#include "plaza/core/status.h"
#include "plaza/core/text.h"
#include "services/messaging/message_rules.h"
#include "services/messaging/search_terms.h"

namespace plaza::messaging {
namespace {

using google::protobuf::util::TimeUtil;

// More changed messages than this in one conversation and Sync resets it instead of listing.
constexpr int kMaxSyncMessagesPerConversation = 100;
constexpr int kResetPageSize = 50;
// Mentions are counted among this many newest unread messages.
constexpr int kMentionScanLimit = 1000;

// Timestamps cross the driver as microseconds since the epoch.
#define PLAZA_MICROS(column) "(extract(epoch FROM " column ") * 1000000)::bigint"

// A message row: 11 columns from alias x.
constexpr const char* kMessageColumns =
    "x.conversation_id, x.seq, x.message_id, x.sender_id, x.client_message_id, " PLAZA_MICROS(
        "x.sent_at") ", x.content, x.recalled, x.forwarded, x.edit_count, "
                     "coalesce(" PLAZA_MICROS("x.edited_at") ", 0)";
constexpr int kMessageColumnCount = 11;

// The newest sequence a member may read: where they left, or the conversation's newest.
#define PLAZA_VISIBLE_LAST "coalesce(m.last_visible_seq, c.last_seq)"
#define PLAZA_READ_FLOOR "greatest(m.read_seq, m.cleared_seq, m.first_visible_seq - 1)"

// One user's view of conversations (members m, conversations c); the caller appends WHERE ...
// 14 columns, then the last message's columns (NULL if none visible).
const std::string kViewSelect =
    std::string(
        "SELECT c.conversation_id, c.kind, m.peer_user_id, c.last_seq, m.read_seq, "
        "CASE WHEN coalesce(su.read_receipts, false) AND coalesce(sp.read_receipts, false) "
        "THEN m.peer_read_seq ELSE 0 END, m.cleared_seq, m.muted, m.pinned, "
        "c.last_seq <= m.hidden_seq, c.closed OR m.last_visible_seq IS NOT NULL, "
        "m.first_visible_seq, greatest(0, " PLAZA_VISIBLE_LAST " - " PLAZA_READ_FLOOR
        "), "
        "CASE WHEN c.kind = 1 THEN 0 ELSE (SELECT count(*) FROM messaging.messages u "
        "WHERE u.conversation_id = c.conversation_id AND u.seq > greatest(" PLAZA_READ_FLOOR
        ", " PLAZA_VISIBLE_LAST " - ") +
    std::to_string(kMentionScanLimit) +
    ") AND u.seq <= " PLAZA_VISIBLE_LAST
    " AND u.sender_id <> m.user_id AND NOT u.recalled "
    "AND (u.mentions_all OR m.user_id = ANY (u.mentioned_user_ids))) END, " +
    kMessageColumns +
    " FROM messaging.members m JOIN messaging.conversations c USING (conversation_id) "
    "LEFT JOIN messaging.user_settings su ON su.user_id = m.user_id "
    "LEFT JOIN messaging.user_settings sp ON sp.user_id = m.peer_user_id "
    "LEFT JOIN messaging.messages x ON x.conversation_id = c.conversation_id AND x.seq "
    "= " PLAZA_VISIBLE_LAST " AND x.seq > m.cleared_seq AND x.seq >= m.first_visible_seq ";
constexpr int kViewColumnCount = 14;

const std::string kBadge =
    "SELECT coalesce(sum(greatest(0, " PLAZA_VISIBLE_LAST " - " PLAZA_READ_FLOOR
    ")), 0)::bigint "
    "FROM messaging.members m JOIN messaging.conversations c USING (conversation_id) "
    "WHERE m.user_id = $1 AND NOT m.muted";

// One message: the existing one for a retried (sender, client id), or a new one with the next
// sequence if the sender may write and a reply quotes a message they can see. Direct
// conversations mark both members' rows as changed (Sync finds them by user); every kind marks
// the sender's row, whose read position moves to their message.
constexpr const char* kSend =
    "WITH existing AS (SELECT seq FROM messaging.messages WHERE conversation_id = $1 "
    "AND sender_id = $2 AND client_message_id = $3), "
    "conv AS (UPDATE messaging.conversations c SET last_seq = c.last_seq + 1, "
    "last_message_at = to_timestamp($6::double precision / 1e6), written_xid = "
    "pg_current_xact_id() "
    "WHERE c.conversation_id = $1 AND NOT c.closed AND NOT EXISTS (SELECT 1 FROM existing) "
    "AND ($2 = 0 OR EXISTS (SELECT 1 FROM messaging.members m WHERE m.user_id = $2 "
    "AND m.conversation_id = $1 AND m.last_visible_seq IS NULL AND ($11 = 0 OR $11 >= "
    "m.first_visible_seq))) "
    "AND $11 <= c.last_seq RETURNING c.last_seq, c.kind), "
    "inserted AS (INSERT INTO messaging.messages (conversation_id, seq, message_id, sender_id, "
    "client_message_id, sent_at, content, forwarded, mentioned_user_ids, mentions_all, "
    "search_terms) "
    "SELECT $1, conv.last_seq, $4, $2, $3, to_timestamp($6::double precision / 1e6), $5, $7, "
    "$8::bigint[], $9, CASE WHEN cardinality($10::text[]) = 0 THEN NULL "
    "ELSE array_to_tsvector($10::text[]) END FROM conv RETURNING seq), "
    "touched AS (UPDATE messaging.members m SET written_xid = pg_current_xact_id(), "
    "read_seq = CASE WHEN m.user_id = $2 THEN conv.last_seq ELSE m.read_seq END FROM conv "
    "WHERE m.conversation_id = $1 AND m.last_visible_seq IS NULL AND (conv.kind = 1 OR m.user_id = "
    "$2) "
    "RETURNING m.user_id) "
    "SELECT i.seq, conv.kind, false, (SELECT array_agg(user_id) FROM touched)::text FROM inserted "
    "i, conv "
    "UNION ALL SELECT e.seq, c.kind, true, NULL FROM existing e "
    "JOIN messaging.conversations c ON c.conversation_id = $1";

// Why a writer cannot write: the conversation, and the writer's membership if any.
constexpr const char* kWriterState =
    "SELECT c.kind, c.closed, c.last_seq, m.user_id IS NOT NULL, m.last_visible_seq IS NULL, "
    "coalesce(m.first_visible_seq, 0), coalesce(m.peer_user_id, 0) FROM messaging.conversations c "
    "LEFT JOIN messaging.members m ON m.conversation_id = c.conversation_id AND m.user_id = $2 "
    "WHERE c.conversation_id = $1";

constexpr const char* kCurrentMembers =
    "SELECT user_id FROM messaging.members WHERE conversation_id = $1 AND last_visible_seq IS NULL "
    "ORDER BY user_id";

// Marks a conversation changed for Sync after a message changed in place: the members' rows for
// a direct conversation, the conversation row otherwise.
constexpr const char* kTouchDirect =
    "UPDATE messaging.members SET written_xid = pg_current_xact_id() WHERE conversation_id = $1";
constexpr const char* kTouchShared =
    "UPDATE messaging.conversations SET written_xid = pg_current_xact_id() WHERE conversation_id = "
    "$1";
constexpr const char* kTouchMember =
    "UPDATE messaging.members SET written_xid = pg_current_xact_id() "
    "WHERE user_id = $1 AND conversation_id = $2";

// Sync: `$2` since, `$3` until (pg_snapshot text).
#define PLAZA_WRITTEN_BETWEEN(alias)                                                              \
  alias ".written_xid >= pg_snapshot_xmin($2::pg_snapshot) AND NOT pg_visible_in_snapshot(" alias \
        ".written_xid, $2::pg_snapshot) AND pg_visible_in_snapshot(" alias                        \
        ".written_xid, $3::pg_snapshot)"

constexpr const char* kChangedConversations =
    "SELECT conversation_id FROM ("
    "SELECT m.conversation_id FROM messaging.members m WHERE m.user_id = $1 AND " PLAZA_WRITTEN_BETWEEN("m")
    " UNION SELECT m.conversation_id FROM messaging.members m "
    "JOIN messaging.conversations c USING (conversation_id) "
    "WHERE m.user_id = $1 AND m.kind <> 1 AND m.last_visible_seq IS NULL AND " PLAZA_WRITTEN_BETWEEN("c")
    ") changed WHERE conversation_id > $4 ORDER BY conversation_id LIMIT $5";
// A device's first pass: `$2` until.
constexpr const char* kAllConversations =
    "SELECT m.conversation_id FROM messaging.members m WHERE m.user_id = $1 "
    "AND pg_visible_in_snapshot(m.written_xid, $2::pg_snapshot) AND m.conversation_id > $3 "
    "ORDER BY m.conversation_id LIMIT $4";
const std::string kChangedMessages =
    std::string("SELECT ") + kMessageColumns +
    " FROM messaging.members m CROSS JOIN LATERAL (SELECT * FROM messaging.messages x "
    "WHERE x.conversation_id = m.conversation_id AND " PLAZA_WRITTEN_BETWEEN("x") " AND "
    "x.seq >= m.first_visible_seq AND x.seq <= coalesce(m.last_visible_seq, x.seq) AND x.seq > m.cleared_seq "
    "AND NOT EXISTS (SELECT 1 FROM messaging.deleted_messages d WHERE d.user_id = m.user_id "
    "AND d.conversation_id = x.conversation_id AND d.seq = x.seq) ORDER BY x.seq LIMIT " +
    std::to_string(kMaxSyncMessagesPerConversation + 1) +
    ") x WHERE m.user_id = $1 AND m.conversation_id = ANY ($4::bigint[]) ORDER BY x.conversation_id, x.seq";
constexpr const char* kChangedDeletions =
    "SELECT d.conversation_id, d.seq FROM messaging.deleted_messages d WHERE d.user_id = $1 "
    "AND d.conversation_id = ANY ($4::bigint[]) AND " PLAZA_WRITTEN_BETWEEN(
        "d") " ORDER BY d.conversation_id, d.seq";

// History visible to member m (the caller appends the order and limit).
const std::string kVisibleMessages =
    std::string("SELECT ") + kMessageColumns +
    " FROM messaging.members m JOIN messaging.messages x ON x.conversation_id = m.conversation_id "
    "WHERE m.user_id = $1 AND m.conversation_id = $2 AND x.seq >= m.first_visible_seq "
    "AND x.seq <= coalesce(m.last_visible_seq, x.seq) AND x.seq > m.cleared_seq "
    "AND NOT EXISTS (SELECT 1 FROM messaging.deleted_messages d WHERE d.user_id = m.user_id "
    "AND d.conversation_id = x.conversation_id AND d.seq = x.seq) ";

std::string PgArray(const std::vector<int64_t>& values) {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ',';
    out += std::to_string(values[i]);
  }
  return out + "}";
}

template <typename Ints>
std::string PgArrayOf(const Ints& values) {
  return PgArray(std::vector<int64_t>(values.begin(), values.end()));
}

// A text[] literal: every element quoted, with " and \ escaped.
std::string PgTextArray(const std::vector<std::string>& values) {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ',';
    out += '"';
    for (char c : values[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

// The ids of a bigint[] in PostgreSQL's text form, "{1,2,3}".
std::vector<int64_t> ParseIdArray(std::string_view text) {
  std::vector<int64_t> ids;
  for (std::string_view item : core::SplitAny(text, "{},"))
    ids.push_back(std::stoll(std::string(item)));
  return ids;
}

std::string Serialize(const v1::MessageContent& content) {
  std::string bytes;
  content.SerializeToString(&bytes);
  return bytes;
}

v1::Message MessageFromRow(const pqxx::row& row, int first) {
  v1::Message message;
  message.set_conversation_id(row[first].as<int64_t>());
  message.set_seq(row[first + 1].as<int64_t>());
  message.set_message_id(row[first + 2].as<int64_t>());
  message.set_sender_id(row[first + 3].as<int64_t>());
  message.set_client_message_id(row[first + 4].as<std::string>());
  *message.mutable_send_time() = TimeUtil::MicrosecondsToTimestamp(row[first + 5].as<int64_t>());
  pqxx::binarystring content(row[first + 6]);
  if (!message.mutable_content()->ParseFromString(content.str())) {
    spdlog::error("message {}/{} has unreadable content", message.conversation_id(), message.seq());
  }
  if (row[first + 7].as<bool>()) {
    message.set_state(v1::MESSAGE_STATE_RECALLED);
    message.clear_content();
  }
  message.set_forwarded(row[first + 8].as<bool>());
  message.set_edit_count(row[first + 9].as<int>());
  if (int64_t edited = row[first + 10].as<int64_t>(); edited != 0) {
    *message.mutable_edit_time() = TimeUtil::MicrosecondsToTimestamp(edited);
  }
  return message;
}

v1::Conversation ViewFromRow(const pqxx::row& row) {
  v1::Conversation view;
  view.set_conversation_id(row[0].as<int64_t>());
  auto kind = static_cast<v1::ConversationKind>(row[1].as<int>());
  view.set_kind(kind);
  view.set_peer_user_id(row[2].as<int64_t>());
  if (kind == v1::CONVERSATION_KIND_GROUP) view.set_group_id(view.conversation_id());
  view.set_last_seq(row[3].as<int64_t>());
  view.set_read_seq(row[4].as<int64_t>());
  view.set_peer_read_seq(row[5].as<int64_t>());
  view.set_cleared_seq(row[6].as<int64_t>());
  view.mutable_settings()->set_muted(row[7].as<bool>());
  view.mutable_settings()->set_pinned(row[8].as<bool>());
  view.mutable_settings()->set_hidden(row[9].as<bool>());
  view.set_read_only(row[10].as<bool>());
  view.set_first_visible_seq(row[11].as<int64_t>());
  view.set_unread_count(row[12].as<int64_t>());
  view.set_unread_mention_count(row[13].as<int64_t>());
  if (!row[kViewColumnCount].is_null())
    *view.mutable_last_message() = MessageFromRow(row, kViewColumnCount);
  return view;
}

absl::Status ConversationNotFound() {
  return NotFound("CONVERSATION_NOT_FOUND", "no such conversation");
}

absl::Status MessageNotFound() { return NotFound("MESSAGE_NOT_FOUND", "no such message"); }

absl::StatusOr<v1::Conversation> ViewIn(pqxx::work& tx, int64_t user_id, int64_t conversation_id) {
  auto rows = pg::Exec(tx, kViewSelect + "WHERE m.user_id = $1 AND m.conversation_id = $2", user_id,
                       conversation_id);
  if (rows.empty()) return ConversationNotFound();
  return ViewFromRow(rows[0]);
}

int64_t BadgeIn(pqxx::work& tx, int64_t user_id) {
  return pg::Exec1(tx, kBadge, user_id)[0].as<int64_t>();
}

std::vector<int64_t> CurrentMembersIn(pqxx::work& tx, int64_t conversation_id) {
  std::vector<int64_t> members;
  for (const auto& row : pg::Exec(tx, kCurrentMembers, conversation_id)) {
    members.push_back(row[0].as<int64_t>());
  }
  return members;
}

absl::StatusOr<v1::Message> MessageIn(pqxx::work& tx, int64_t conversation_id, int64_t seq) {
  auto rows = pg::Exec(tx,
                       std::string("SELECT ") + kMessageColumns +
                           " FROM messaging.messages x WHERE x.conversation_id = $1 AND x.seq = $2",
                       conversation_id, seq);
  if (rows.empty()) return MessageNotFound();
  return MessageFromRow(rows[0], 0);
}

// The refusal for a writer that kSend did not let write.
absl::Status WriteRefusal(pqxx::work& tx, const NewMessage& message) {
  auto rows = pg::Exec(tx, kWriterState, message.conversation_id, message.sender_id);
  if (rows.empty()) return ConversationNotFound();
  const auto& row = rows[0];
  bool system = message.sender_id == 0;
  if (!system && !row[3].as<bool>()) return ConversationNotFound();
  if (row[1].as<bool>()) {
    return FailedPrecondition("CONVERSATION_CLOSED", "this conversation is read-only now");
  }
  if (!system && !row[4].as<bool>()) {
    return PermissionDenied("NOT_A_MEMBER", "you are no longer a member of this conversation");
  }
  return InvalidArgument("REPLY_INVALID",
                         "reply_to_seq must be a message of this conversation you can see");
}

absl::StatusOr<SendResult> SendIn(pqxx::work& tx, core::IdGenerator& ids, core::TimePoint now,
                                  const NewMessage& message) {
  const auto& content = message.content;
  std::vector<int64_t> mentioned(content.mentions().user_ids().begin(),
                                 content.mentions().user_ids().end());
  std::sort(mentioned.begin(), mentioned.end());
  mentioned.erase(std::unique(mentioned.begin(), mentioned.end()), mentioned.end());
  int64_t message_id = ids.Next();
  auto rows =
      pg::Exec(tx, kSend, message.conversation_id, message.sender_id, message.client_message_id,
               message_id, pqxx::binarystring(Serialize(content)), core::UnixMicros(now),
               message.forwarded, PgArray(mentioned), content.mentions().all(),
               PgTextArray(IndexTerms(SearchableText(content))), content.reply_to_seq());
  if (rows.empty()) return WriteRefusal(tx, message);
  SendResult result;
  int64_t seq = rows[0][0].as<int64_t>();
  result.duplicate = rows[0][2].as<bool>();
  result.kind = static_cast<v1::ConversationKind>(rows[0][1].as<int>());
  if (result.duplicate) {
    PLAZA_ASSIGN_OR_RETURN(result.message, MessageIn(tx, message.conversation_id, seq));
    result.member_ids = CurrentMembersIn(tx, message.conversation_id);
    return result;
  }
  auto& stored = result.message;
  stored.set_message_id(message_id);
  stored.set_conversation_id(message.conversation_id);
  stored.set_seq(seq);
  stored.set_sender_id(message.sender_id);
  stored.set_client_message_id(message.client_message_id);
  *stored.mutable_send_time() = TimeUtil::MicrosecondsToTimestamp(core::UnixMicros(now));
  *stored.mutable_content() = content;
  stored.set_forwarded(message.forwarded);
  // A direct send marked both members' rows, and named them; a group send only the sender's.
  if (result.kind == v1::CONVERSATION_KIND_DIRECT) {
    result.member_ids = ParseIdArray(rows[0][3].as<std::string>());
    return result;
  }
  result.member_ids = CurrentMembersIn(tx, message.conversation_id);
  return result;
}

// The caller's membership of a conversation, for acting on its messages.
struct Membership {
  v1::ConversationKind kind = v1::CONVERSATION_KIND_UNSPECIFIED;
  int64_t first_visible_seq = 0;
  int64_t visible_last = 0;  // newest sequence they may read
  int64_t cleared_seq = 0;
  bool current = false;  // still a member
  bool closed = false;
};

absl::StatusOr<Membership> MembershipIn(pqxx::work& tx, int64_t user_id, int64_t conversation_id,
                                        bool lock = false) {
  auto rows = pg::Exec(
      tx,
      std::string("SELECT c.kind, m.first_visible_seq, " PLAZA_VISIBLE_LAST
                  ", m.cleared_seq, m.last_visible_seq IS NULL, c.closed FROM messaging.members m "
                  "JOIN messaging.conversations c USING (conversation_id) "
                  "WHERE m.user_id = $1 AND m.conversation_id = $2") +
          (lock ? " FOR UPDATE OF m" : ""),
      user_id, conversation_id);
  if (rows.empty()) return ConversationNotFound();
  const auto& row = rows[0];
  return Membership{.kind = static_cast<v1::ConversationKind>(row[0].as<int>()),
                    .first_visible_seq = row[1].as<int64_t>(),
                    .visible_last = row[2].as<int64_t>(),
                    .cleared_seq = row[3].as<int64_t>(),
                    .current = row[4].as<bool>(),
                    .closed = row[5].as<bool>()};
}

bool Visible(const Membership& membership, int64_t seq) {
  return seq >= membership.first_visible_seq && seq <= membership.visible_last &&
         seq > membership.cleared_seq;
}

void TouchConversation(pqxx::work& tx, v1::ConversationKind kind, int64_t conversation_id) {
  pg::Exec(tx, kind == v1::CONVERSATION_KIND_DIRECT ? kTouchDirect : kTouchShared, conversation_id);
}

// A message the caller sent, locked for changing it in place.
struct OwnMessage {
  Membership membership;
  core::TimePoint sent_at;
  bool recalled = false;
  int edit_count = 0;
  v1::MessageContent content;
};

absl::StatusOr<OwnMessage> LockOwnMessage(pqxx::work& tx, int64_t user_id, int64_t conversation_id,
                                          int64_t seq) {
  PLAZA_ASSIGN_OR_RETURN(Membership membership, MembershipIn(tx, user_id, conversation_id));
  if (!Visible(membership, seq)) return MessageNotFound();
  auto rows = pg::Exec(tx, 
      "SELECT sender_id, " PLAZA_MICROS("sent_at") ", recalled, edit_count, content "
      "FROM messaging.messages WHERE conversation_id = $1 AND seq = $2 FOR UPDATE",
      conversation_id, seq);
  if (rows.empty()) return MessageNotFound();
  const auto& row = rows[0];
  if (row[0].as<int64_t>() != user_id) {
    return PermissionDenied("NOT_SENDER", "only the sender can change a message");
  }
  if (!membership.current) {
    return PermissionDenied("NOT_A_MEMBER", "you are no longer a member of this conversation");
  }
  OwnMessage own{.membership = membership,
                 .sent_at = core::FromUnixMicros(row[1].as<int64_t>()),
                 .recalled = row[2].as<bool>(),
                 .edit_count = row[3].as<int>()};
  pqxx::binarystring content(row[4]);
  own.content.ParseFromString(content.str());
  if (own.recalled) return FailedPrecondition("MESSAGE_RECALLED", "that message was recalled");
  return own;
}

}  // namespace

MessagingStore::MessagingStore(pg::Pool& pool, core::IdGenerator& ids, const core::Clock& clock)
    : pool_(pool), ids_(ids), clock_(clock) {}

absl::StatusOr<v1::Conversation> MessagingStore::OpenDirect(int64_t user_id, int64_t peer_user_id) {
  int64_t low = std::min(user_id, peer_user_id);
  int64_t high = std::max(user_id, peer_user_id);
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<v1::Conversation> {
    auto found =
        pg::Exec(tx,
                 "SELECT conversation_id FROM messaging.direct_pairs WHERE low_user_id = $1 AND "
                 "high_user_id = $2",
                 low, high);
    if (found.empty()) {
      int64_t conversation_id = ids_.Next();
      pg::Exec(tx, "INSERT INTO messaging.conversations (conversation_id, kind) VALUES ($1, 1)",
               conversation_id);
      // A concurrent open of the same pair waits here for the other and takes its conversation.
      auto claimed = pg::Exec(
          tx,
          "INSERT INTO messaging.direct_pairs (low_user_id, high_user_id, conversation_id) "
          "VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING conversation_id",
          low, high, conversation_id);
      if (claimed.empty()) {
        pg::Exec(tx, "DELETE FROM messaging.conversations WHERE conversation_id = $1",
                 conversation_id);
        return ViewIn(tx, user_id,
                      pg::Exec1(tx,
                                "SELECT conversation_id FROM messaging.direct_pairs "
                                "WHERE low_user_id = $1 AND high_user_id = $2",
                                low, high)[0]
                          .as<int64_t>());
      }
      pg::Exec(tx,
               "INSERT INTO messaging.members (user_id, conversation_id, kind, peer_user_id, "
               "first_visible_seq) "
               "VALUES ($1, $3, 1, $2, 1), ($2, $3, 1, $1, 1)",
               low, high, conversation_id);
      return ViewIn(tx, user_id, conversation_id);
    }
    return ViewIn(tx, user_id, found[0][0].as<int64_t>());
  });
}

absl::StatusOr<v1::Conversation> MessagingStore::GetConversation(int64_t user_id,
                                                                 int64_t conversation_id) {
  return pool_.Transact([&](pqxx::work& tx) { return ViewIn(tx, user_id, conversation_id); });
}

absl::StatusOr<ConversationPage> MessagingStore::ListConversations(int64_t user_id,
                                                                   int32_t page_size,
                                                                   const std::string& page_token,
                                                                   bool include_hidden) {
  int64_t offset = 0;
  if (!page_token.empty()) PLAZA_RETURN_IF_ERROR(core::DecodePageToken(page_token, offset));
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<ConversationPage> {
    ConversationPage page;
    auto rows =
        pg::Exec(tx,
                 kViewSelect +
                     "WHERE m.user_id = $1 AND ($2 OR c.last_seq > m.hidden_seq) "
                     "ORDER BY m.pinned DESC, c.last_message_at DESC, c.conversation_id DESC "
                     "OFFSET $3 LIMIT $4",
                 user_id, include_hidden, offset, page_size + 1);
    for (const auto& row : rows) page.conversations.push_back(ViewFromRow(row));
    if (page.conversations.size() > static_cast<size_t>(page_size)) {
      page.conversations.pop_back();
      page.next_page_token = core::EncodePageToken(offset + page_size);
    }
    page.total_unread = BadgeIn(tx, user_id);
    return page;
  });
}

absl::StatusOr<MessagingStore::WriteAccess> MessagingStore::CheckWriteAccess(
    int64_t user_id, int64_t conversation_id) {
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<WriteAccess> {
    auto rows = pg::Exec(tx, kWriterState, conversation_id, user_id);
    if (rows.empty() || !rows[0][3].as<bool>()) return ConversationNotFound();
    const auto& row = rows[0];
    if (row[1].as<bool>()) {
      return FailedPrecondition("CONVERSATION_CLOSED", "this conversation is read-only now");
    }
    if (!row[4].as<bool>()) {
      return PermissionDenied("NOT_A_MEMBER", "you are no longer a member of this conversation");
    }
    return WriteAccess{.kind = static_cast<v1::ConversationKind>(row[0].as<int>()),
                       .peer_user_id = row[6].as<int64_t>()};
  });
}

absl::StatusOr<std::vector<SendResult>> MessagingStore::Send(
    const std::vector<NewMessage>& messages) {
  auto attempt = [&] {
    return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<std::vector<SendResult>> {
      std::vector<SendResult> results;
      core::TimePoint now = clock_.Now();
      for (const NewMessage& message : messages) {
        PLAZA_ASSIGN_OR_RETURN(SendResult result, SendIn(tx, ids_, now, message));
        results.push_back(std::move(result));
      }
      return results;
    });
  };
  auto results = attempt();
  // The same (sender, client id) sent twice at once: one insert wins, and this retry finds it.
  if (results.status().code() == absl::StatusCode::kAlreadyExists) results = attempt();
  return results;
}

absl::StatusOr<std::vector<v1::Message>> MessagingStore::History(int64_t user_id,
                                                                 int64_t conversation_id,
                                                                 int64_t before_seq,
                                                                 int32_t page_size,
                                                                 bool& has_more) {
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<std::vector<v1::Message>> {
    PLAZA_RETURN_IF_ERROR(MembershipIn(tx, user_id, conversation_id).status());
    auto rows =
        pg::Exec(tx, kVisibleMessages + "AND ($3 = 0 OR x.seq < $3) ORDER BY x.seq DESC LIMIT $4",
                 user_id, conversation_id, before_seq, page_size + 1);
    std::vector<v1::Message> messages;
    for (const auto& row : rows) messages.push_back(MessageFromRow(row, 0));
    has_more = messages.size() > static_cast<size_t>(page_size);
    if (has_more) messages.pop_back();
    std::reverse(messages.begin(), messages.end());
    return messages;
  });
}

absl::StatusOr<std::vector<v1::Message>> MessagingStore::VisibleMessages(
    int64_t user_id, int64_t conversation_id, const std::vector<int64_t>& seqs) {
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<std::vector<v1::Message>> {
    PLAZA_RETURN_IF_ERROR(MembershipIn(tx, user_id, conversation_id).status());
    auto rows = pg::Exec(tx, kVisibleMessages + "AND x.seq = ANY ($3::bigint[])", user_id,
                         conversation_id, PgArray(seqs));
    std::map<int64_t, v1::Message> by_seq;
    for (const auto& row : rows) {
      v1::Message message = MessageFromRow(row, 0);
      by_seq.emplace(message.seq(), std::move(message));
    }
    std::vector<v1::Message> messages;
    for (int64_t seq : seqs) {
      auto found = by_seq.find(seq);
      if (found == by_seq.end()) return MessageNotFound();
      messages.push_back(found->second);
    }
    return messages;
  });
}

absl::StatusOr<SyncPage> MessagingStore::Sync(int64_t user_id, const SyncCursor& cursor,
                                              int32_t page_size) {
  return pool_.Transact(
      [&](pqxx::work& tx) -> absl::StatusOr<SyncPage> {
        SyncPage page;
        // A new pass reads up to this transaction's own snapshot.
        std::string until =
            cursor.until.empty()
                ? tx.exec1("SELECT pg_current_snapshot()::text")[0].as<std::string>()
                : cursor.until;
        bool full = cursor.since.empty();
        auto changed = full ? pg::Exec(tx, kAllConversations, user_id, until,
                                       cursor.after_conversation_id, page_size + 1)
                            : pg::Exec(tx, kChangedConversations, user_id, cursor.since, until,
                                       cursor.after_conversation_id, page_size + 1);
        std::vector<int64_t> ids;
        for (const auto& row : changed) ids.push_back(row[0].as<int64_t>());
        page.has_more = ids.size() > static_cast<size_t>(page_size);
        if (page.has_more) ids.pop_back();

        std::map<int64_t, v1::ConversationChanges> by_id;
        if (!ids.empty()) {
          for (const auto& row : pg::Exec(
                   tx,
                   kViewSelect + "WHERE m.user_id = $1 AND m.conversation_id = ANY ($2::bigint[])",
                   user_id, PgArray(ids))) {
            v1::Conversation view = ViewFromRow(row);
            *by_id[view.conversation_id()].mutable_conversation() = std::move(view);
          }
        }
        if (full) {
          // A new device: the state of each conversation; history loads when it is opened.
          for (auto& [id, changes] : by_id) changes.set_reset(true);
        } else if (!ids.empty()) {
          std::string id_array = PgArray(ids);
          for (const auto& row :
               pg::Exec(tx, kChangedMessages, user_id, cursor.since, until, id_array)) {
            v1::Message message = MessageFromRow(row, 0);
            *by_id[message.conversation_id()].add_messages() = std::move(message);
          }
          for (const auto& row :
               pg::Exec(tx, kChangedDeletions, user_id, cursor.since, until, id_array)) {
            by_id[row[0].as<int64_t>()].add_deleted_seqs(row[1].as<int64_t>());
          }
          for (auto& [id, changes] : by_id) {
            if (changes.messages_size() <= kMaxSyncMessagesPerConversation) continue;
            // Too much to list: the newest page, and the device drops what it had.
            changes.clear_messages();
            changes.clear_deleted_seqs();
            changes.set_reset(true);
            auto rows = pg::Exec(tx, kVisibleMessages + "ORDER BY x.seq DESC LIMIT $3", user_id, id,
                                 kResetPageSize);
            for (auto row = rows.rbegin(); row != rows.rend(); ++row) {
              *changes.add_messages() = MessageFromRow(*row, 0);
            }
          }
        }
        for (auto& [id, changes] : by_id) {
          if (changes.has_conversation()) page.changes.push_back(std::move(changes));
        }
        if (page.has_more) {
          page.next = SyncCursor{
              .since = cursor.since, .until = until, .after_conversation_id = ids.back()};
        } else {
          page.next = SyncCursor{.since = until};
          page.total_unread = BadgeIn(tx, user_id);
        }
        return page;
      },
      pg::Isolation::kRepeatableRead);
}

absl::StatusOr<ViewChange> MessagingStore::MarkRead(int64_t user_id, int64_t conversation_id,
                                                    int64_t read_seq) {
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<ViewChange> {
    auto moved = pg::Exec(
        tx,
        "UPDATE messaging.members m SET read_seq = least($3, " PLAZA_VISIBLE_LAST
        "), "
        "written_xid = pg_current_xact_id() FROM messaging.conversations c "
        "WHERE m.user_id = $1 AND m.conversation_id = $2 AND c.conversation_id = m.conversation_id "
        "AND least($3, " PLAZA_VISIBLE_LAST
        ") > m.read_seq RETURNING m.read_seq, m.kind, m.peer_user_id",
        user_id, conversation_id, read_seq);
    ViewChange change;
    PLAZA_ASSIGN_OR_RETURN(change.conversation, ViewIn(tx, user_id, conversation_id));
    change.total_unread = BadgeIn(tx, user_id);
    if (!moved.empty() && moved[0][1].as<int>() == v1::CONVERSATION_KIND_DIRECT) {
      int64_t peer = moved[0][2].as<int64_t>();
      // The peer sees it only if both share read receipts.
      auto shared = pg::Exec(
          tx,
          "UPDATE messaging.members SET peer_read_seq = $3, written_xid = pg_current_xact_id() "
          "WHERE user_id = $1 AND conversation_id = $2 AND peer_read_seq < $3 AND "
          "(SELECT count(*) FROM messaging.user_settings WHERE user_id IN ($1, $4) AND "
          "read_receipts) = 2",
          peer, conversation_id, moved[0][0].as<int64_t>(), user_id);
      if (shared.affected_rows() > 0) {
        PLAZA_ASSIGN_OR_RETURN(change.peer_view, ViewIn(tx, peer, conversation_id));
        change.peer_total_unread = BadgeIn(tx, peer);
      }
    }
    return change;
  });
}

absl::StatusOr<std::vector<v1::ReadCount>> MessagingStore::ReadCounts(
    int64_t user_id, int64_t conversation_id, const std::vector<int64_t>& seqs) {
  return pool_.Transact(
      [&](pqxx::work& tx) -> absl::StatusOr<std::vector<v1::ReadCount>> {
        auto me = pg::Exec(
            tx,
            "SELECT c.kind, m.first_visible_seq, m.last_visible_seq IS NULL, " PLAZA_VISIBLE_LAST
            " FROM messaging.members m JOIN messaging.conversations c USING (conversation_id) "
            "WHERE m.user_id = $1 AND m.conversation_id = $2",
            user_id, conversation_id);
        if (me.empty()) return ConversationNotFound();
        if (me[0][0].as<int>() != v1::CONVERSATION_KIND_GROUP) {
          return FailedPrecondition("NOT_A_GROUP",
                                    "read counts are for groups; direct chats have receipts");
        }
        const int64_t first_visible = me[0][1].as<int64_t>();
        const bool current = me[0][2].as<bool>();
        const int64_t last_visible = me[0][3].as<int64_t>();
        // See migrations/0002: members at or past each message, less those who joined after it.
        auto rows = pg::Exec(
            tx,
            "SELECT s.seq, coalesce(x.sender_id, -1), "
            "(SELECT coalesce(sum(p.members), 0) FROM messaging.group_positions p "
            "WHERE p.conversation_id = $1 AND p.position_kind = 1 AND p.seq >= s.seq)::bigint, "
            "(SELECT coalesce(sum(p.members), 0) FROM messaging.group_positions p "
            "WHERE p.conversation_id = $1 AND p.position_kind = 2 AND p.seq > s.seq)::bigint, "
            "(SELECT coalesce(sum(p.members), 0) FROM messaging.group_positions p "
            "WHERE p.conversation_id = $1 AND p.position_kind = 2 AND p.seq <= s.seq)::bigint "
            "FROM unnest($2::bigint[]) WITH ORDINALITY s(seq, n) "
            "LEFT JOIN messaging.messages x ON x.conversation_id = $1 AND x.seq = s.seq "
            "ORDER BY s.n",
            conversation_id, PgArray(seqs));
        std::vector<v1::ReadCount> counts;
        for (const auto& row : rows) {
          const int64_t seq = row[0].as<int64_t>();
          const int64_t sender = row[1].as<int64_t>();
          if (sender < 0 || seq < first_visible || seq > last_visible) return MessageNotFound();
          if (sender != user_id) {
            return PermissionDenied("NOT_SENDER", "only the sender sees who read a message");
          }
          // The sender is among both while still a member (they joined before and read it).
          const int64_t self = current ? 1 : 0;
          v1::ReadCount count;
          count.set_seq(seq);
          count.set_read_count(static_cast<int32_t>(
              std::max<int64_t>(0, row[2].as<int64_t>() - row[3].as<int64_t>() - self)));
          count.set_audience_count(
              static_cast<int32_t>(std::max<int64_t>(0, row[4].as<int64_t>() - self)));
          counts.push_back(std::move(count));
        }
        return counts;
      },
      pg::Isolation::kRepeatableRead);
}

absl::StatusOr<ChangedMessage> MessagingStore::Recall(int64_t user_id, int64_t conversation_id,
                                                      int64_t seq) {
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<ChangedMessage> {
    PLAZA_ASSIGN_OR_RETURN(OwnMessage own, LockOwnMessage(tx, user_id, conversation_id, seq));
    if (!WithinRecallWindow(own.sent_at, clock_.Now())) {
      return FailedPrecondition("RECALL_WINDOW_PASSED",
                                "messages can be recalled within 2 minutes");
    }
    pg::Exec(
        tx,
        "UPDATE messaging.messages SET recalled = true, content = ''::bytea, search_terms = NULL, "
        "mentioned_user_ids = '{}', mentions_all = false, written_xid = pg_current_xact_id() "
        "WHERE conversation_id = $1 AND seq = $2",
        conversation_id, seq);
    // The content is gone for everyone, earlier texts included.
    pg::Exec(tx, "DELETE FROM messaging.message_revisions WHERE conversation_id = $1 AND seq = $2",
             conversation_id, seq);
    TouchConversation(tx, own.membership.kind, conversation_id);
    ChangedMessage changed;
    PLAZA_ASSIGN_OR_RETURN(changed.message, MessageIn(tx, conversation_id, seq));
    changed.member_ids = CurrentMembersIn(tx, conversation_id);
    return changed;
  });
}

absl::StatusOr<ChangedMessage> MessagingStore::Edit(int64_t user_id, int64_t conversation_id,
                                                    int64_t seq, const v1::TextBody& text) {
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<ChangedMessage> {
    PLAZA_ASSIGN_OR_RETURN(OwnMessage own, LockOwnMessage(tx, user_id, conversation_id, seq));
    if (!own.content.has_text()) return FailedPrecondition("NOT_TEXT", "only texts can be edited");
    if (!WithinEditWindow(own.sent_at, clock_.Now())) {
      return FailedPrecondition("EDIT_WINDOW_PASSED", "messages can be edited within 15 minutes");
    }
    int64_t now = core::UnixMicros(clock_.Now());
    pg::Exec(tx,
             "INSERT INTO messaging.message_revisions (conversation_id, seq, edit_number, content, "
             "replaced_at) "
             "VALUES ($1, $2, $3, $4, to_timestamp($5::double precision / 1e6))",
             conversation_id, seq, own.edit_count + 1, pqxx::binarystring(Serialize(own.content)),
             now);
    v1::MessageContent edited = own.content;
    *edited.mutable_text() = text;
    pg::Exec(tx,
             "UPDATE messaging.messages SET content = $3, edit_count = edit_count + 1, "
             "edited_at = to_timestamp($4::double precision / 1e6), search_terms = CASE WHEN "
             "cardinality($5::text[]) = 0 THEN NULL ELSE array_to_tsvector($5::text[]) END, "
             "written_xid = pg_current_xact_id() WHERE conversation_id = $1 AND seq = $2",
             conversation_id, seq, pqxx::binarystring(Serialize(edited)), now,
             PgTextArray(IndexTerms(SearchableText(edited))));
    TouchConversation(tx, own.membership.kind, conversation_id);
    ChangedMessage changed;
    PLAZA_ASSIGN_OR_RETURN(changed.message, MessageIn(tx, conversation_id, seq));
    changed.member_ids = CurrentMembersIn(tx, conversation_id);
    return changed;
  });
}

absl::StatusOr<std::vector<v1::MessageRevision>> MessagingStore::EditHistory(
    int64_t user_id, int64_t conversation_id, int64_t seq) {
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<std::vector<v1::MessageRevision>> {
    PLAZA_ASSIGN_OR_RETURN(Membership membership, MembershipIn(tx, user_id, conversation_id));
    if (!Visible(membership, seq)) return MessageNotFound();
    std::vector<v1::MessageRevision> revisions;
    for (const auto& row : pg::Exec(tx,
                                    "SELECT edit_number, content FROM messaging.message_revisions "
                                    "WHERE conversation_id = $1 AND seq = $2 ORDER BY edit_number",
                                    conversation_id, seq)) {
      v1::MessageRevision revision;
      revision.set_edit_number(row[0].as<int>());
      pqxx::binarystring content(row[1]);
      revision.mutable_content()->ParseFromString(content.str());
      revisions.push_back(std::move(revision));
    }
    return revisions;
  });
}

absl::StatusOr<ViewChange> MessagingStore::DeleteForUser(int64_t user_id, int64_t conversation_id,
                                                         const std::vector<int64_t>& seqs) {
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<ViewChange> {
    PLAZA_ASSIGN_OR_RETURN(Membership membership, MembershipIn(tx, user_id, conversation_id, true));
    for (int64_t seq : seqs) {
      if (!Visible(membership, seq)) return MessageNotFound();
    }
    pg::Exec(tx,
             "INSERT INTO messaging.deleted_messages (user_id, conversation_id, seq) "
             "SELECT $1, $2, s FROM unnest($3::bigint[]) s ON CONFLICT DO NOTHING",
             user_id, conversation_id, PgArray(seqs));
    pg::Exec(tx, kTouchMember, user_id, conversation_id);
    ViewChange change;
    PLAZA_ASSIGN_OR_RETURN(change.conversation, ViewIn(tx, user_id, conversation_id));
    change.total_unread = BadgeIn(tx, user_id);
    return change;
  });
}

absl::StatusOr<ViewChange> MessagingStore::UpdateSettings(int64_t user_id, int64_t conversation_id,
                                                          std::optional<bool> muted,
                                                          std::optional<bool> pinned,
                                                          std::optional<bool> hidden) {
  // -1 leaves a setting as it is.
  auto flag = [](std::optional<bool> value) { return value ? (*value ? 1 : 0) : -1; };
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<ViewChange> {
    auto updated = pg::Exec(
        tx,
        "UPDATE messaging.members m SET muted = CASE $3::int WHEN -1 THEN m.muted ELSE $3 = 1 END, "
        "pinned = CASE $4::int WHEN -1 THEN m.pinned ELSE $4 = 1 END, "
        "hidden_seq = CASE $5::int WHEN -1 THEN m.hidden_seq WHEN 1 THEN c.last_seq ELSE -1 END, "
        "written_xid = pg_current_xact_id() FROM messaging.conversations c "
        "WHERE m.user_id = $1 AND m.conversation_id = $2 AND c.conversation_id = m.conversation_id",
        user_id, conversation_id, flag(muted), flag(pinned), flag(hidden));
    if (updated.affected_rows() == 0) return ConversationNotFound();
    ViewChange change;
    PLAZA_ASSIGN_OR_RETURN(change.conversation, ViewIn(tx, user_id, conversation_id));
    change.total_unread = BadgeIn(tx, user_id);
    return change;
  });
}

absl::StatusOr<ViewChange> MessagingStore::ClearHistory(int64_t user_id, int64_t conversation_id) {
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<ViewChange> {
    auto updated = pg::Exec(
        tx,
        "UPDATE messaging.members m SET cleared_seq = " PLAZA_VISIBLE_LAST
        ", read_seq = greatest(m.read_seq, " PLAZA_VISIBLE_LAST
        "), written_xid = pg_current_xact_id() FROM messaging.conversations c "
        "WHERE m.user_id = $1 AND m.conversation_id = $2 AND c.conversation_id = m.conversation_id",
        user_id, conversation_id);
    if (updated.affected_rows() == 0) return ConversationNotFound();
    ViewChange change;
    PLAZA_ASSIGN_OR_RETURN(change.conversation, ViewIn(tx, user_id, conversation_id));
    change.total_unread = BadgeIn(tx, user_id);
    return change;
  });
}

absl::StatusOr<std::vector<int64_t>> MessagingStore::MembersForWriter(int64_t user_id,
                                                                      int64_t conversation_id) {
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<std::vector<int64_t>> {
    PLAZA_ASSIGN_OR_RETURN(Membership membership, MembershipIn(tx, user_id, conversation_id));
    if (!membership.current) {
      return PermissionDenied("NOT_A_MEMBER", "you are no longer a member of this conversation");
    }
    return CurrentMembersIn(tx, conversation_id);
  });
}

absl::StatusOr<std::vector<v1::Message>> MessagingStore::Search(int64_t user_id,
                                                                const std::string& tsquery,
                                                                int64_t conversation_id,
                                                                int32_t offset, int32_t limit) {
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<std::vector<v1::Message>> {
    auto rows = pg::Exec(
        tx,
        std::string("SELECT ") + kMessageColumns +
            " FROM messaging.members m JOIN messaging.messages x ON x.conversation_id = "
            "m.conversation_id "
            "WHERE m.user_id = $1 AND ($3 = 0 OR m.conversation_id = $3) AND x.search_terms @@ "
            "$2::tsquery "
            "AND x.seq >= m.first_visible_seq AND x.seq <= coalesce(m.last_visible_seq, x.seq) "
            "AND x.seq > m.cleared_seq AND NOT x.recalled AND NOT EXISTS (SELECT 1 FROM "
            "messaging.deleted_messages d WHERE d.user_id = m.user_id AND d.conversation_id = "
            "x.conversation_id AND d.seq = x.seq) "
            "ORDER BY ts_rank(x.search_terms, $2::tsquery) DESC, x.sent_at DESC, "
            "x.conversation_id, x.seq "
            "OFFSET $4 LIMIT $5",
        user_id, tsquery, conversation_id, offset, limit);
    std::vector<v1::Message> messages;
    for (const auto& row : rows) messages.push_back(MessageFromRow(row, 0));
    return messages;
  });
}

absl::StatusOr<v1::MessagingSettings> MessagingStore::GetSettings(int64_t user_id) {
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<v1::MessagingSettings> {
    v1::MessagingSettings settings;
    auto rows = pg::Exec(tx, "SELECT read_receipts FROM messaging.user_settings WHERE user_id = $1",
                         user_id);
    if (!rows.empty()) settings.set_read_receipts(rows[0][0].as<bool>());
    return settings;
  });
}

absl::Status MessagingStore::PutSettings(int64_t user_id, const v1::MessagingSettings& settings) {
  return pool_.Transact([&](pqxx::work& tx) {
    pg::Exec(tx,
             "INSERT INTO messaging.user_settings (user_id, read_receipts) VALUES ($1, $2) "
             "ON CONFLICT (user_id) DO UPDATE SET read_receipts = excluded.read_receipts",
             user_id, settings.read_receipts());
    // Receipts show (or stop showing) in both members' views of the user's direct conversations.
    pg::Exec(
        tx,
        "UPDATE messaging.members SET written_xid = pg_current_xact_id() WHERE conversation_id IN "
        "(SELECT conversation_id FROM messaging.members WHERE user_id = $1 AND kind = 1)",
        user_id);
    return absl::OkStatus();
  });
}

namespace {

// Locks a conversation owned by another service for a membership change.
struct SharedConversation {
  v1::ConversationKind kind;
  int64_t last_seq;
  bool closed;
};

absl::StatusOr<SharedConversation> LockShared(pqxx::work& tx, int64_t conversation_id) {
  auto rows = pg::Exec(
      tx,
      "SELECT kind, last_seq, closed FROM messaging.conversations WHERE conversation_id = $1 FOR "
      "UPDATE",
      conversation_id);
  if (rows.empty()) return ConversationNotFound();
  auto kind = static_cast<v1::ConversationKind>(rows[0][0].as<int>());
  if (kind == v1::CONVERSATION_KIND_DIRECT) {
    return FailedPrecondition("DIRECT_CONVERSATION", "direct conversations keep their two members");
  }
  return SharedConversation{kind, rows[0][1].as<int64_t>(), rows[0][2].as<bool>()};
}

// A system notice's client id: unique per conversation and position, so the sequence it
// would take names it.
NewMessage Notice(int64_t conversation_id, int64_t seq, const v1::SystemNotice& notice) {
  NewMessage message{.conversation_id = conversation_id,
                     .sender_id = 0,
                     .client_message_id = "notice:" + std::to_string(seq)};
  *message.content.mutable_system_notice() = notice;
  return message;
}

}  // namespace

absl::Status MessagingStore::CreateConversation(int64_t conversation_id, v1::ConversationKind kind,
                                                const std::vector<int64_t>& member_ids,
                                                const std::optional<v1::SystemNotice>& notice,
                                                std::optional<v1::Message>& posted) {
  return pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    posted.reset();
    auto created =
        pg::Exec(tx,
                 "INSERT INTO messaging.conversations (conversation_id, kind) VALUES ($1, $2) "
                 "ON CONFLICT DO NOTHING RETURNING 1",
                 conversation_id, static_cast<int>(kind));
    if (created.empty()) {
      auto existing =
          pg::Exec1(tx, "SELECT kind FROM messaging.conversations WHERE conversation_id = $1",
                    conversation_id);
      if (existing[0].as<int>() != kind) {
        return AlreadyExists("CONVERSATION_EXISTS", "a different conversation has that id");
      }
      return absl::OkStatus();  // a retried create
    }
    pg::Exec(tx,
             "INSERT INTO messaging.members (user_id, conversation_id, kind, first_visible_seq) "
             "SELECT u, $2, $3, 1 FROM unnest($1::bigint[]) u",
             PgArray(member_ids), conversation_id, static_cast<int>(kind));
    if (notice) {
      PLAZA_ASSIGN_OR_RETURN(SendResult sent,
                             SendIn(tx, ids_, clock_.Now(), Notice(conversation_id, 1, *notice)));
      posted = std::move(sent.message);
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<MembershipChange> MessagingStore::AddMembers(
    int64_t conversation_id, const std::vector<int64_t>& user_ids,
    const std::optional<v1::SystemNotice>& notice) {
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<MembershipChange> {
    PLAZA_ASSIGN_OR_RETURN(SharedConversation conversation, LockShared(tx, conversation_id));
    if (conversation.closed) {
      return FailedPrecondition("CONVERSATION_CLOSED", "this conversation is read-only now");
    }
    // New members (and members who come back) see from the notice on; earlier messages stay
    // out of their reach.
    int64_t first = conversation.last_seq + 1;
    MembershipChange change;
    for (const auto& row : pg::Exec(
             tx,
             "INSERT INTO messaging.members (user_id, conversation_id, kind, first_visible_seq, "
             "read_seq) "
             "SELECT u, $2, $3, $4::bigint, $4::bigint - 1 FROM unnest($1::bigint[]) u "
             "ON CONFLICT (user_id, conversation_id) DO UPDATE SET first_visible_seq = "
             "excluded.first_visible_seq, "
             "last_visible_seq = NULL, read_seq = excluded.read_seq, cleared_seq = 0, hidden_seq = "
             "-1, "
             "written_xid = pg_current_xact_id() WHERE members.last_visible_seq IS NOT NULL "
             "RETURNING user_id",
             PgArray(user_ids), conversation_id, static_cast<int>(conversation.kind), first)) {
      change.changed_ids.push_back(row[0].as<int64_t>());
    }
    change.seq = conversation.last_seq;
    if (notice && !change.changed_ids.empty()) {
      PLAZA_ASSIGN_OR_RETURN(
          SendResult sent, SendIn(tx, ids_, clock_.Now(), Notice(conversation_id, first, *notice)));
      change.seq = sent.message.seq();
      change.notice = std::move(sent.message);
    }
    change.member_ids = CurrentMembersIn(tx, conversation_id);
    return change;
  });
}

absl::StatusOr<MembershipChange> MessagingStore::RemoveMembers(
    int64_t conversation_id, const std::vector<int64_t>& user_ids,
    const std::optional<v1::SystemNotice>& notice) {
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<MembershipChange> {
    PLAZA_ASSIGN_OR_RETURN(SharedConversation conversation, LockShared(tx, conversation_id));
    MembershipChange change;
    change.seq = conversation.last_seq;
    auto leaving = pg::Exec(
        tx,
        "SELECT user_id FROM messaging.members WHERE conversation_id = $1 AND user_id = ANY "
        "($2::bigint[]) "
        "AND last_visible_seq IS NULL ORDER BY user_id FOR UPDATE",
        conversation_id, PgArray(user_ids));
    if (leaving.empty()) {
      change.member_ids = CurrentMembersIn(tx, conversation_id);
      return change;
    }
    // The leaving members see the notice about them, and nothing after it.
    if (notice && !conversation.closed) {
      PLAZA_ASSIGN_OR_RETURN(SendResult sent,
                             SendIn(tx, ids_, clock_.Now(),
                                    Notice(conversation_id, conversation.last_seq + 1, *notice)));
      change.seq = sent.message.seq();
      change.notice = std::move(sent.message);
    }
    for (const auto& row : leaving) change.changed_ids.push_back(row[0].as<int64_t>());
    pg::Exec(
        tx,
        "UPDATE messaging.members SET last_visible_seq = $3, written_xid = pg_current_xact_id() "
        "WHERE conversation_id = $1 AND user_id = ANY ($2::bigint[])",
        conversation_id, PgArray(change.changed_ids), change.seq);
    change.member_ids = CurrentMembersIn(tx, conversation_id);
    return change;
  });
}

absl::StatusOr<MembershipChange> MessagingStore::Close(
    int64_t conversation_id, const std::optional<v1::SystemNotice>& notice) {
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<MembershipChange> {
    PLAZA_ASSIGN_OR_RETURN(SharedConversation conversation, LockShared(tx, conversation_id));
    MembershipChange change;
    change.seq = conversation.last_seq;
    if (!conversation.closed) {
      if (notice) {
        PLAZA_ASSIGN_OR_RETURN(SendResult sent,
                               SendIn(tx, ids_, clock_.Now(),
                                      Notice(conversation_id, conversation.last_seq + 1, *notice)));
        change.seq = sent.message.seq();
        change.notice = std::move(sent.message);
      }
      pg::Exec(
          tx,
          "UPDATE messaging.conversations SET closed = true, written_xid = pg_current_xact_id() "
          "WHERE conversation_id = $1",
          conversation_id);
    }
    change.member_ids = CurrentMembersIn(tx, conversation_id);
    return change;
  });
}

}  // namespace plaza::messaging
