#include "plaza/rpc/revocation.h"

#include <string>

namespace plaza::rpc {
namespace {
std::string Key(int64_t session_id) { return "plaza:revoked-session:" + std::to_string(session_id); }
}  // namespace

SessionRevocations::SessionRevocations(redis::Pool& redis, std::chrono::seconds remember_for)
    : redis_(redis), remember_for_(remember_for) {}

absl::Status SessionRevocations::Revoke(const std::vector<int64_t>& session_ids) {
  if (session_ids.empty()) return absl::OkStatus();
  std::vector<std::vector<std::string>> commands;
  for (int64_t id : session_ids) {
    commands.push_back({"SET", Key(id), "1", "EX", std::to_string(remember_for_.count())});
  }
  auto replies = redis_.Pipeline(commands);
  return replies.ok() ? absl::OkStatus() : replies.status();
}

absl::StatusOr<bool> SessionRevocations::IsRevoked(int64_t session_id) {
  auto reply = redis_.Command({"EXISTS", Key(session_id)});
  if (!reply.ok()) return reply.status();
  return reply->integer() > 0;
}

}  // namespace plaza::rpc
