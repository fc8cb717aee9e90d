#pragma once

// Who may speak in a group now, as groups knows it (members, mutes, mute-all, @all rights,
// dissolution), through plaza.groups.v1.InternalService.GetSendPolicy. Group sends ask on every
// message, so an answer that allows sending is remembered for at most a minute while groups'
// announcements are heard; every change of a group is announced, so a mute or a removal takes
// effect at once. Refusals are not remembered: they are rare, and some end with time (a mute).
//
// Membership itself is also enforced by the send statement against messaging's own members
// table, which groups updates before it answers the caller who removed someone: a remembered
// answer can never let a removed member write, and reading never consults it.

#include <grpcpp/channel.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "plaza/groups/v1/internal_service.grpc.pb.h"
#include "services/messaging/remembered_answers.h"

namespace plaza::messaging {

class GroupPolicies {
 public:
  // Without `redis_url` nothing is remembered.
  GroupPolicies(std::shared_ptr<grpc::Channel> groups, std::chrono::milliseconds deadline,
                const std::optional<std::string>& redis_url);

  // OK if `user_id` may send to the group now (mentioning @all if `mentions_all`); otherwise
  // the refusal SendVerdict gives; UNAVAILABLE GROUPS_UNAVAILABLE if groups cannot answer.
  absl::Status CheckCanSend(int64_t group_id, int64_t user_id, bool mentions_all);

  // True while announcements are heard, i.e. while answers are remembered.
  bool listening() const { return allowed_.listening(); }

 private:
  static constexpr std::chrono::seconds kRememberFor{60};

  std::unique_ptr<groups::v1::InternalService::Stub> stub_;
  const std::chrono::milliseconds deadline_;
  // (group, user) -> may mention @all; present only for users who may send.
  RememberedAnswers<bool> allowed_;
};

}  // namespace plaza::messaging
