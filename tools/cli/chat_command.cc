// plaza chat <friend> | plaza chat --group <group_id>: one conversation, live, a friend's or a
// group's (the same code: a group chat only has more people to name). The main thread reads lines
// from stdin and sends each; a second thread holds the device's Connect stream, reconnects with
// backoff when it is lost and syncs what it missed; a third ends a stream whose heartbeats
// stopped.

#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <utility>

#include "tools/cli/command.h"
#include "tools/cli/format.h"
#include "tools/cli/group_args.h"
#include "tools/cli/line_reader.h"
#include "tools/cli/operations.h"
#include "tools/cli/peer_ref.h"
#include "tools/cli/reconnect.h"
#include "tools/cli/seen_messages.h"

namespace plaza::cli {
namespace {

using events::v1::Event;
using gateway::v1::ConnectResponse;
using groups::v1::Group;
using messaging::v1::Conversation;
using messaging::v1::GetHistoryRequest;
using messaging::v1::GetHistoryResponse;
using messaging::v1::MarkReadRequest;
using messaging::v1::MarkReadResponse;
using messaging::v1::Message;
using messaging::v1::SyncResponse;

// How much history the chat opens with.
constexpr int32_t kOpeningHistory = 20;
constexpr std::chrono::seconds kFirstRetry{1};
constexpr std::chrono::seconds kLongestRetry{30};
// A stream that says nothing this long after opening, or for two heartbeat intervals and this
// long, is dead (the gateway README: two missed heartbeats).
constexpr std::chrono::seconds kSilenceAllowance{15};

// Everything the chat prints, one whole line at a time, from any thread. With --json each line
// is a JSON object: {"conversation":…} (with "group":… in a group), {"message":…}, {"typing":…}
// or {"notice":"…"}. People are shown by name, learnt as they appear (UserNames).
class ChatScreen {
 public:
  ChatScreen(std::ostream& out, bool json, UserNames& names, int64_t first_shown_seq)
      : out_(out), json_(json), names_(names), seen_(first_shown_seq) {}

  void ShowTitle(const Conversation& conversation, const std::optional<Group>& group) {
    JsonObject json;
    json.AddJson("conversation", ProtoJson(conversation));
    std::string title;
    if (group) {
      json.AddJson("group", ProtoJson(*group));
      title = "Chat in " + GroupTitle(*group) + " (" +
              ConversationRef(conversation.conversation_id()) + ", " +
              std::to_string(group->member_count()) + " members)";
    } else {
      title = "Chat with " + names_.With([&](const NameBook& names) {
        return ConversationTitle(conversation, names);
      }) + " (" +
              ConversationRef(conversation.conversation_id()) + ")";
    }
    Print(json.str(), title + ". Type a message and press Enter; /quit or Ctrl-D leaves.");
  }

  // Prints a message of this conversation unless it was already shown as it is; true if it
  // printed.
  bool ShowMessage(const Message& message) {
    names_.Learn(message.sender_id());
    std::lock_guard lock(mutex_);
    if (!seen_.Admit(message)) return false;
    typing_.erase(message.sender_id());
    PrintLocked(JsonObject().AddJson("message", ProtoJson(message)).str(), Render(message));
    return true;
  }

  // A message that arrived in another conversation, so it is not missed.
  void ShowElsewhere(const Message& message) {
    names_.Learn(message.sender_id());
    Print(JsonObject().AddJson("message", ProtoJson(message)).str(),
          "(" + ConversationRef(message.conversation_id()) + ") " + Render(message));
  }

  void ShowTyping(const events::v1::Typing& typing) {
    names_.Learn(typing.user_id());
    std::lock_guard lock(mutex_);
    // Only a start is worth a line; the typist's next message ends it.
    bool was_typing = typing_.contains(typing.user_id());
    if (typing.typing() == was_typing) return;
    if (typing.typing()) {
      typing_.insert(typing.user_id());
    } else {
      typing_.erase(typing.user_id());
    }
    if (typing.typing() || json_) {
      PrintLocked(JsonObject().AddJson("typing", ProtoJson(typing)).str(),
                  names_.NameOf(typing.user_id()) + " is typing...");
    }
  }

  void ShowUnreadElsewhere(const Conversation& conversation) {
    Notice(
        ConversationRef(conversation.conversation_id()) + " with " +
        names_.With([&](const NameBook& names) { return ConversationTitle(conversation, names); }) +
        ": " + std::to_string(conversation.unread_count()) + " unread");
  }

  void Notice(const std::string& text) {
    Print(JsonObject().Add("notice", text).str(), "-- " + text);
  }

  UserNames& names() { return names_; }

 private:
  void Print(const std::string& json, const std::string& human) {
    std::lock_guard lock(mutex_);
    PrintLocked(json, human);
  }
  void PrintLocked(const std::string& json, const std::string& human) {
    out_ << (json_ ? json : human) << "\n" << std::flush;
  }
  std::string Render(const Message& message) const {
    if (json_) return "";
    return names_.With([&](const NameBook& names) {
      return RenderMessage(message, names, NowUnixSeconds(), /*show_seq=*/false);
    });
  }

  std::mutex mutex_;
  std::ostream& out_;
  const bool json_;
  UserNames& names_;
  SeenMessages seen_;
  std::set<int64_t> typing_;  // who is typing now, as far as shown
};

// The device's Connect stream for the length of the chat.
class PushLoop {
 public:
  PushLoop(Session& session, ChatScreen& screen, int64_t conversation_id,
           std::atomic<bool>& stop_input)
      : session_(session),
        screen_(screen),
        conversation_id_(conversation_id),
        me_(session.config().user_id()),
        my_session_(session.config().session_id()),
        stop_input_(stop_input) {}

  ~PushLoop() { Stop(); }

  void Start() {
    stream_thread_ = std::thread([this] { Run(); });
    watchdog_thread_ = std::thread([this] { Watch(); });
  }

  // Ends the stream and waits for the threads.
  void Stop() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
      if (open_stream_ != nullptr) open_stream_->TryCancel();
    }
    changed_.notify_all();
    if (stream_thread_.joinable()) stream_thread_.join();
    if (watchdog_thread_.joinable()) watchdog_thread_.join();
  }

  // Why the stream stopped for good by itself; OK if it did not.
  absl::Status failure() {
    std::lock_guard lock(mutex_);
    return failure_;
  }

  // Marks the conversation read up to `seq`: what the chat shows is read.
  void MarkReadUpTo(int64_t seq) {
    if (seq <= read_seq_.load()) return;
    MarkReadRequest request;
    request.set_conversation_id(conversation_id_);
    request.set_read_seq(seq);
    auto marked = session_.Call<MarkReadResponse>([&](grpc::ClientContext* call, auto* out) {
      return session_.messaging().MarkRead(call, request, out);
    });
    if (!marked.ok()) {
      screen_.Notice("could not mark as read: " + DescribeStatus(marked.status()));
      return;
    }
    read_seq_ = seq;
  }

 private:
  void Run() {
    Backoff backoff(kFirstRetry, kLongestRetry);
    bool refreshed_since_connected = false;
    // One full explanation per outage; the retries after it are only counted down.
    bool offline = false;
    for (;;) {
      std::string token;
      bool connected = false;
      absl::Status ended = StreamOnce(token, connected);
      if (Stopping()) return;
      if (connected) {
        backoff.Reset();
        refreshed_since_connected = false;
        offline = false;
      }
      std::string reason = ReasonOf(ended);
      switch (ActionForStreamEnd(ended.code(), reason)) {
        case StreamEndAction::kStop:
          return Fail(StopStatus(ended));
        case StreamEndAction::kRefreshAndReconnect:
          if (!refreshed_since_connected) {
            refreshed_since_connected = true;
            absl::Status refreshed = session_.RefreshAfterRefusal(token);
            if (refreshed.ok()) continue;
            if (refreshed.code() == absl::StatusCode::kUnauthenticated) return Fail(refreshed);
            ended = refreshed;
          }
          break;
        case StreamEndAction::kReconnect:
          break;
      }
      auto delay = backoff.Next(RandomFraction());
      char retry[48];
      std::snprintf(retry, sizeof retry, "; retrying in %.1f s",
                    static_cast<double>(delay.count()) / 1000);
      screen_.Notice((offline ? "still offline (" + absl::StatusCodeToString(ended.code()) + ")"
                              : "connection lost: " + DescribeStatus(ended)) +
                     retry);
      offline = true;
      std::unique_lock lock(mutex_);
      if (changed_.wait_for(lock, delay, [this] { return stopping_; })) return;
    }
  }

  // One Connect stream from opening to its end; `connected` says whether it got that far.
  absl::Status StreamOnce(std::string& token, bool& connected) {
    grpc::ClientContext context;
    auto authorized = session_.Authorize(context);
    if (!authorized.ok()) return authorized.status();
    token = *authorized;
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return absl::CancelledError("the chat ended");
      open_stream_ = &context;
      last_heard_ = std::chrono::steady_clock::now();
      heartbeat_interval_ = std::chrono::seconds(0);
    }
    auto reader = session_.push().Connect(&context, gateway::v1::ConnectRequest());
    ConnectResponse message;
    while (reader->Read(&message)) {
      if (message.has_connected()) {
        connected = true;
        std::lock_guard lock(mutex_);
        heartbeat_interval_ =
            std::chrono::seconds(message.connected().heartbeat_interval_seconds());
      }
      Handle(message);
      std::lock_guard lock(mutex_);
      last_heard_ = std::chrono::steady_clock::now();
    }
    grpc::Status status = reader->Finish();
    std::lock_guard lock(mutex_);
    open_stream_ = nullptr;
    if (std::exchange(cancelled_as_silent_, false)) {
      return absl::UnavailableError("the gateway went silent (no heartbeat)");
    }
    return FromGrpc(status, context, session_.server());
  }

  void Handle(const ConnectResponse& message) {
    if (message.has_connected()) {
      screen_.Notice(ever_connected_ ? "reconnected" : "connected");
      ever_connected_ = true;
      // Whatever happened while the stream was not there (or before it first opened).
      CatchUp();
      return;
    }
    if (message.has_resync()) return CatchUp();
    if (!message.has_event()) return;  // a heartbeat
    const Event& event = message.event();
    switch (event.kind_case()) {
      case Event::kMessageChanged:
        return ShowIncoming(event.message_changed().message());
      case Event::kTyping:
        if (event.typing().conversation_id() == conversation_id_ &&
            event.typing().user_id() != me_) {
          screen_.ShowTyping(event.typing());
        }
        return;
      case Event::kFriendRequestReceived:
        return screen_.Notice("friend request from user " +
                              std::to_string(event.friend_request_received().from_user_id()) +
                              " (plaza requests)");
      case Event::kFriendAdded:
        screen_.names().Learn(event.friend_added().friend_user_id());
        return screen_.Notice(screen_.names().NameOf(event.friend_added().friend_user_id()) +
                              " is now your friend");
      case Event::kSessionRevoked:
        if (event.session_revoked().session_id() == my_session_) {
          screen_.Notice("this session was ended");
        }
        return;
      default:
        // Conversation state changes matter to a conversation list, not to this chat.
        return;
    }
  }

  void ShowIncoming(const Message& message) {
    if (message.conversation_id() != conversation_id_) {
      if (message.sender_id() != me_) screen_.ShowElsewhere(message);
      return;
    }
    if (screen_.ShowMessage(message) && message.sender_id() != me_) MarkReadUpTo(message.seq());
  }

  // Syncs from the saved cursor: this conversation's messages are shown (each once), other
  // conversations with unread messages get a line.
  void CatchUp() {
    absl::Status synced = SyncPages(session_, [&](const SyncResponse& page) {
      for (const auto& changes : page.changes()) {
        const Conversation& conversation = changes.conversation();
        if (conversation.conversation_id() != conversation_id_) {
          if (!changes.messages().empty() && conversation.unread_count() > 0) {
            screen_.ShowUnreadElsewhere(conversation);
          }
          continue;
        }
        int64_t newest_from_others = 0;
        for (const Message& message : changes.messages()) {
          if (screen_.ShowMessage(message) && message.sender_id() != me_) {
            newest_from_others = std::max(newest_from_others, message.seq());
          }
        }
        MarkReadUpTo(newest_from_others);
      }
      return SaveSyncCursor(session_, page.cursor());
    });
    if (!synced.ok()) screen_.Notice("could not sync: " + DescribeStatus(synced));
  }

  // Cancels a stream that went silent; Run() then reconnects.
  void Watch() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      changed_.wait_for(lock, std::chrono::seconds(1));
      if (open_stream_ == nullptr) continue;
      auto allowed = heartbeat_interval_ * 2 + kSilenceAllowance;
      if (!cancelled_as_silent_ && std::chrono::steady_clock::now() - last_heard_ > allowed) {
        cancelled_as_silent_ = true;
        open_stream_->TryCancel();
      }
    }
  }

  bool Stopping() {
    std::lock_guard lock(mutex_);
    return stopping_;
  }

  void Fail(absl::Status status) {
    {
      std::lock_guard lock(mutex_);
      failure_ = std::move(status);
    }
    stop_input_ = true;
  }

  Session& session_;
  ChatScreen& screen_;
  const int64_t conversation_id_;
  const int64_t me_;
  const int64_t my_session_;
  std::atomic<bool>& stop_input_;
  std::atomic<int64_t> read_seq_{0};
  bool ever_connected_ = false;  // used by the stream thread only

  std::mutex mutex_;
  std::condition_variable changed_;
  bool stopping_ = false;
  grpc::ClientContext* open_stream_ = nullptr;
  bool cancelled_as_silent_ = false;  // the open stream was cancelled by Watch()
  std::chrono::steady_clock::time_point last_heard_;
  std::chrono::seconds heartbeat_interval_{0};
  absl::Status failure_;

  std::thread stream_thread_;
  std::thread watchdog_thread_;
};

absl::StatusOr<GetHistoryResponse> OpeningHistory(Session& session, int64_t conversation_id) {
  GetHistoryRequest request;
  request.set_conversation_id(conversation_id);
  request.set_page_size(kOpeningHistory);
  return session.Call<GetHistoryResponse>([&](grpc::ClientContext* call, auto* out) {
    return session.messaging().GetHistory(call, request, out);
  });
}

}  // namespace

absl::Status RunChat(CommandContext& context) {
  Session& session = context.session();
  PLAZA_ASSIGN_OR_RETURN(ChatTarget target, ParseChatTarget(context.invocation()));
  // --group asks the group first, so a wrong id is the groups service's GROUP_NOT_FOUND.
  std::optional<Group> group;
  if (target.group) {
    PLAZA_ASSIGN_OR_RETURN(group, GetGroup(session, target.peer.id));
  }
  PLAZA_ASSIGN_OR_RETURN(Conversation conversation, ResolveConversation(session, target.peer));
  if (!group) {
    // A c:<id> may be a group's conversation too: it is shown the same way.
    PLAZA_ASSIGN_OR_RETURN(group, GroupOf(session, conversation));
  }
  int64_t conversation_id = conversation.conversation_id();
  PLAZA_ASSIGN_OR_RETURN(GetHistoryResponse history, OpeningHistory(session, conversation_id));
  NameBook book{.me = session.config().user_id()};
  if (!context.json()) {
    PLAZA_ASSIGN_OR_RETURN(book, LoadNameBook(session, group ? &*group : nullptr));
  }
  UserNames names(session, std::move(book), /*look_up=*/!context.json());
  int64_t first_shown_seq =
      history.messages().empty() ? conversation.last_seq() + 1 : history.messages(0).seq();

  ChatScreen screen(context.out(), context.json(), names, first_shown_seq);
  screen.ShowTitle(conversation, group);
  for (const Message& message : history.messages()) screen.ShowMessage(message);

  std::atomic<bool> stop_input{false};
  PushLoop push(session, screen, conversation_id, stop_input);
  if (conversation.unread_count() > 0) push.MarkReadUpTo(conversation.last_seq());
  push.Start();

  absl::Status input_status;
  LineReader input(STDIN_FILENO);
  while (auto line = input.Next(stop_input)) {
    if (line->ends_with('\r')) line->pop_back();
    if (line->find_first_not_of(" \t") == std::string::npos) continue;
    if (*line == "/quit") break;
    auto sent = SendText(session, conversation_id, *line);
    if (sent.ok()) {
      screen.ShowMessage(sent->message());
    } else if (sent.status().code() == absl::StatusCode::kUnauthenticated) {
      input_status = sent.status();
      break;
    } else {
      screen.Notice("not sent: " + DescribeStatus(sent.status()));
    }
  }
  push.Stop();
  PLAZA_RETURN_IF_ERROR(push.failure());
  return input_status;
}

}  // namespace plaza::cli
