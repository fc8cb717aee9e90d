// plaza conversations | history | send | read | sync | read-counts

#include "tools/cli/command.h"
#include "tools/cli/format.h"
#include "tools/cli/group_args.h"
#include "tools/cli/operations.h"
#include "tools/cli/peer_ref.h"

namespace plaza::cli {
namespace {

using messaging::v1::Conversation;
using messaging::v1::GetHistoryRequest;
using messaging::v1::GetHistoryResponse;
using messaging::v1::ListConversationsRequest;
using messaging::v1::ListConversationsResponse;
using messaging::v1::MarkReadRequest;
using messaging::v1::MarkReadResponse;
using messaging::v1::ReadCount;
using messaging::v1::SyncResponse;

// GetHistory's largest page.
constexpr int64_t kMaxHistoryPage = 200;

// Names cost a ListFriends call, which scripts reading JSON do not need.
absl::StatusOr<NameBook> NamesForHumans(CommandContext& context) {
  if (context.json()) return NameBook{.me = context.session().config().user_id()};
  return LoadNameBook(context.session());
}

absl::StatusOr<Conversation> ConversationArg(CommandContext& context) {
  PLAZA_ASSIGN_OR_RETURN(PeerRef peer, ParsePeerRef(context.arg(0), /*allow_conversation=*/true));
  return ResolveConversation(context.session(), peer);
}

// The seqs of my own messages in `history` that readers can be counted for: not notices, not
// recalled.
std::vector<int64_t> MySentSeqs(const GetHistoryResponse& history, int64_t me) {
  std::vector<int64_t> seqs;
  for (const auto& message : history.messages()) {
    if (message.sender_id() == me && !message.content().has_system_notice() &&
        message.state() != messaging::v1::MESSAGE_STATE_RECALLED) {
      seqs.push_back(message.seq());
    }
  }
  return seqs;
}

}  // namespace

absl::Status RunConversations(CommandContext& context) {
  Session& session = context.session();
  ListConversationsRequest request;
  request.set_page_size(200);
  request.set_include_hidden(context.invocation().Has("all"));
  // The badge of the last page is the newest.
  PLAZA_ASSIGN_OR_RETURN(
      auto all, session.CallPages<ListConversationsResponse>(
                    request,
                    [&](auto* call, const auto& page_request, auto* out) {
                      return session.messaging().ListConversations(call, page_request, out);
                    },
                    [](auto& all, const auto& page) {
                      all.mutable_conversations()->MergeFrom(page.conversations());
                      all.set_total_unread_count(page.total_unread_count());
                    }));
  PLAZA_ASSIGN_OR_RETURN(NameBook names, NamesForHumans(context));
  context.Emit(ProtoJson(all), [&] { return RenderConversations(all, names, NowUnixSeconds()); });
  return absl::OkStatus();
}

absl::Status RunHistory(CommandContext& context) {
  Session& session = context.session();
  const Invocation& invocation = context.invocation();
  bool with_read_counts = invocation.Has("read-counts");
  GetHistoryRequest request;
  if (auto before = invocation.Flag("before")) {
    PLAZA_ASSIGN_OR_RETURN(int64_t before_seq, ParseInteger("--before", *before));
    request.set_before_seq(before_seq);
  }
  PLAZA_ASSIGN_OR_RETURN(int64_t limit,
                         ParseInteger("--limit", invocation.Flag("limit").value_or("20")));
  if (limit < 1 || limit > kMaxHistoryPage) {
    return UsageError("--limit must be from 1 to " + std::to_string(kMaxHistoryPage));
  }
  request.set_page_size(static_cast<int32_t>(limit));
  PLAZA_ASSIGN_OR_RETURN(Conversation conversation, ConversationArg(context));
  if (with_read_counts && conversation.kind() != messaging::v1::CONVERSATION_KIND_GROUP) {
    return UsageError("--read-counts is for groups; " +
                      ConversationRef(conversation.conversation_id()) + " is not a group's");
  }
  request.set_conversation_id(conversation.conversation_id());
  PLAZA_ASSIGN_OR_RETURN(
      auto history, session.Call<GetHistoryResponse>([&](grpc::ClientContext* call, auto* out) {
        return session.messaging().GetHistory(call, request, out);
      }));
  std::map<int64_t, ReadCount> read_counts;
  std::string json = ProtoJson(history);
  if (with_read_counts) {
    PLAZA_ASSIGN_OR_RETURN(auto counts,
                           GetReadCounts(session, conversation.conversation_id(),
                                         MySentSeqs(history, session.config().user_id())));
    for (const ReadCount& count : counts.read_counts()) read_counts[count.seq()] = count;
    json = MergeJsonObjects(json, ProtoJson(counts));
  }
  // People are named as in a chat: friends, group nicknames, and anyone else's profile.
  std::optional<groups::v1::Group> group;
  NameBook book{.me = session.config().user_id()};
  if (!context.json()) {
    PLAZA_ASSIGN_OR_RETURN(group, GroupOf(session, conversation));
    PLAZA_ASSIGN_OR_RETURN(book, LoadNameBook(session, group ? &*group : nullptr));
  }
  UserNames names(session, std::move(book), /*look_up=*/!context.json());
  names.LearnSenders(history.messages());
  context.Emit(json, [&] {
    return names.With([&](const NameBook& known) {
      std::string title = group ? GroupTitle(*group) : ConversationTitle(conversation, known);
      return ConversationRef(conversation.conversation_id()) + " with " + title + "\n" +
             RenderHistory(history, known, NowUnixSeconds(), read_counts);
    });
  });
  return absl::OkStatus();
}

absl::Status RunSend(CommandContext& context) {
  const auto& args = context.invocation().args;
  std::string text;
  for (size_t i = 1; i < args.size(); ++i) text += (i > 1 ? " " : "") + args[i];
  PLAZA_ASSIGN_OR_RETURN(text, ValueOrStdin(text));
  if (text.empty()) return UsageError("nothing to send: the message is empty");
  // Finding or opening the conversation is safe to repeat, so a send rides out a brief outage
  // from its first call on.
  PLAZA_ASSIGN_OR_RETURN(Conversation conversation,
                         RetryTransient([&] { return ConversationArg(context); }));
  PLAZA_ASSIGN_OR_RETURN(auto sent,
                         SendText(context.session(), conversation.conversation_id(), text));
  context.Emit(ProtoJson(sent), [&] {
    std::string line = "Sent to " + ConversationRef(conversation.conversation_id()) + " as #" +
                       std::to_string(sent.message().seq());
    if (sent.duplicate()) line += " (an earlier attempt had already stored it)";
    return line + ".\n";
  });
  return absl::OkStatus();
}

absl::Status RunRead(CommandContext& context) {
  Session& session = context.session();
  PLAZA_ASSIGN_OR_RETURN(Conversation conversation, ConversationArg(context));
  MarkReadRequest request;
  request.set_conversation_id(conversation.conversation_id());
  request.set_read_seq(conversation.last_seq());
  PLAZA_ASSIGN_OR_RETURN(auto read,
                         session.Call<MarkReadResponse>([&](grpc::ClientContext* call, auto* out) {
                           return session.messaging().MarkRead(call, request, out);
                         }));
  context.Emit(ProtoJson(read), [&] {
    return "Read up to #" + std::to_string(read.conversation().read_seq()) + " in " +
           ConversationRef(conversation.conversation_id()) +
           ". Unread in total: " + std::to_string(read.total_unread_count()) + "\n";
  });
  return absl::OkStatus();
}

absl::Status RunSync(CommandContext& context) {
  Session& session = context.session();
  // The pages merged into one response: changes in page order, the last cursor and badge.
  SyncResponse all;
  PLAZA_RETURN_IF_ERROR(SyncPages(session, [&](const SyncResponse& page) {
    all.mutable_changes()->MergeFrom(page.changes());
    all.set_cursor(page.cursor());
    all.set_total_unread_count(page.total_unread_count());
    return absl::OkStatus();
  }));
  PLAZA_ASSIGN_OR_RETURN(NameBook names, NamesForHumans(context));
  context.Emit(ProtoJson(all), [&] { return RenderSync(all, names, NowUnixSeconds()); });
  // Only now that the changes are printed may the next sync start after them.
  return SaveSyncCursor(session, all.cursor());
}

absl::Status RunReadCounts(CommandContext& context) {
  PLAZA_ASSIGN_OR_RETURN(ReadCountsArgs args, ParseReadCounts(context.invocation()));
  PLAZA_ASSIGN_OR_RETURN(auto counts,
                         GetReadCounts(context.session(), args.conversation_id, args.seqs));
  context.Emit(ProtoJson(counts), [&] { return RenderReadCounts(counts); });
  return absl::OkStatus();
}

}  // namespace plaza::cli
