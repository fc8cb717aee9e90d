#include "services/groups/outbox_relay.h"

#include <grpcpp/client_context.h>
#include <spdlog/spdlog.h>

namespace plaza::groups {
namespace {

namespace mv1 = messaging::v1;

// Messaging said no in a way no retry changes.
bool IsPermanent(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kOutOfRange:
      return true;
    default:
      return false;
  }
}

constexpr int32_t kGroupsPerPass = 500;

}  // namespace

OutboxRelay::OutboxRelay(GroupsStore& store, People& people,
                         std::shared_ptr<grpc::Channel> messaging,
                         std::chrono::milliseconds deadline, const core::Clock& clock)
    : store_(store),
      people_(people),
      messaging_(mv1::InternalService::NewStub(std::move(messaging))),
      deadline_(deadline),
      clock_(clock) {}

OutboxRelay::~OutboxRelay() { Stop(); }

absl::Status OutboxRelay::Apply(int64_t group_id, const OutboxEntry& entry) {
  const ConversationChange& change = entry.change;
  std::map<int64_t, std::string> names;
  if (auto named = NamedUsers(change); !named.empty()) {
    // A notice naming "a member" beats holding back a membership change until identity is back.
    if (auto found = people_.DisplayNames(named); found.ok()) names = std::move(*found);
  }
  mv1::SystemNotice notice = RenderNotice(change, names);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + deadline_);
  grpc::Status status;
  switch (change.op) {
    case ConversationOp::kCreate: {
      mv1::CreateConversationRequest request;
      request.set_conversation_id(group_id);
      request.set_kind(mv1::CONVERSATION_KIND_GROUP);
      for (int64_t id : change.user_ids) request.add_member_ids(id);
      *request.mutable_notice() = std::move(notice);
      mv1::CreateConversationResponse response;
      status = messaging_->CreateConversation(&context, request, &response);
      break;
    }
    case ConversationOp::kAddMembers: {
      mv1::AddMembersRequest request;
      request.set_conversation_id(group_id);
      for (int64_t id : change.user_ids) request.add_user_ids(id);
      *request.mutable_notice() = std::move(notice);
      mv1::AddMembersResponse response;
      status = messaging_->AddMembers(&context, request, &response);
      break;
    }
    case ConversationOp::kRemoveMembers: {
      mv1::RemoveMembersRequest request;
      request.set_conversation_id(group_id);
      for (int64_t id : change.user_ids) request.add_user_ids(id);
      *request.mutable_notice() = std::move(notice);
      mv1::RemoveMembersResponse response;
      status = messaging_->RemoveMembers(&context, request, &response);
      break;
    }
    case ConversationOp::kPostNotice: {
      mv1::PostMessageRequest request;
      request.set_conversation_id(group_id);
      request.set_sender_id(0);
      request.set_client_message_id("groups.outbox:" + std::to_string(entry.outbox_id));
      *request.mutable_content() = NoticeContent(change, std::move(notice));
      mv1::PostMessageResponse response;
      status = messaging_->PostMessage(&context, request, &response);
      break;
    }
    case ConversationOp::kClose: {
      mv1::CloseConversationRequest request;
      request.set_conversation_id(group_id);
      *request.mutable_notice() = std::move(notice);
      mv1::CloseConversationResponse response;
      status = messaging_->CloseConversation(&context, request, &response);
      break;
    }
    default:
      return absl::InvalidArgumentError("unknown outbox operation " +
                                        std::to_string(static_cast<int>(change.op)));
  }
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

void OutboxRelay::DeliverGroup(int64_t group_id) {
  while (true) {
    auto claimed = store_.ClaimOutboxHead(group_id, kLease);
    if (!claimed.ok()) {
      spdlog::warn("group {}: cannot claim its outbox now: {}", group_id,
                   claimed.status().ToString());
      return;
    }
    if (!claimed->has_value()) return;
    const OutboxEntry& entry = **claimed;
    absl::Status applied = Apply(group_id, entry);
    absl::Status recorded;
    if (applied.ok()) {
      recorded = store_.CompleteOutbox(group_id, entry.outbox_id);
    } else if (IsPermanent(applied.code())) {
      spdlog::error("group {}: messaging refused change {} ({}) for good: {}", group_id,
                    entry.outbox_id, entry.change.notice_kind, applied.ToString());
      recorded = store_.FailOutbox(group_id, entry.outbox_id, applied.ToString());
    } else {
      auto delay = RetryDelay(entry.attempts);
      spdlog::warn("group {}: change {} not delivered (attempt {}), retrying in {} s: {}", group_id,
                   entry.outbox_id, entry.attempts, delay.count(), applied.ToString());
      recorded = store_.RetryOutboxLater(group_id, entry.outbox_id, clock_.Now() + delay,
                                         applied.ToString());
      if (recorded.ok()) return;
    }
    // Unrecorded, the lease runs out and a later pass delivers the change again, harmlessly.
    if (!recorded.ok()) {
      spdlog::warn("group {}: cannot record delivery of change {}: {}", group_id, entry.outbox_id,
                   recorded.ToString());
      return;
    }
  }
}

void OutboxRelay::DeliverDue() {
  auto groups = store_.GroupsWithDueChanges(kGroupsPerPass);
  if (!groups.ok()) {
    spdlog::warn("cannot list undelivered group changes: {}", groups.status().ToString());
    return;
  }
  for (int64_t group_id : *groups) DeliverGroup(group_id);
}

void OutboxRelay::Start(std::chrono::milliseconds interval) {
  thread_ = std::thread([this, interval] {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      lock.unlock();
      DeliverDue();
      lock.lock();
      wake_.wait_for(lock, interval, [this] { return stopping_; });
    }
  });
}

void OutboxRelay::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace plaza::groups
