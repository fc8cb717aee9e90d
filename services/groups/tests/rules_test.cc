#include "services/groups/rules.h"

#include <catch2/catch.hpp>

#include "plaza/core/status.h"

using namespace plaza::groups;
namespace v1 = plaza::groups::v1;

namespace {
constexpr v1::MemberRole kMember = v1::MEMBER_ROLE_MEMBER;
constexpr v1::MemberRole kAdmin = v1::MEMBER_ROLE_ADMIN;
constexpr v1::MemberRole kOwner = v1::MEMBER_ROLE_OWNER;
}  // namespace

TEST_CASE("Owner outranks admins, admins outrank members, nobody outranks an equal",
          "[groups][rules]") {
  CHECK(Outranks(kOwner, kAdmin));
  CHECK(Outranks(kOwner, kMember));
  CHECK(Outranks(kAdmin, kMember));
  CHECK_FALSE(Outranks(kAdmin, kAdmin));
  CHECK_FALSE(Outranks(kAdmin, kOwner));
  CHECK_FALSE(Outranks(kMember, kMember));
  CHECK(plaza::ReasonOf(RequireOutranks(kAdmin, kAdmin)) == "RANK_TOO_LOW");
  CHECK(RequireOutranks(kOwner, kAdmin).ok());
}

TEST_CASE("Role requirements refuse with PERMISSION_DENIED and a reason", "[groups][rules]") {
  CHECK(RequireManager(kOwner).ok());
  CHECK(RequireManager(kAdmin).ok());
  auto refused = RequireManager(kMember);
  CHECK(refused.code() == absl::StatusCode::kPermissionDenied);
  CHECK(plaza::ReasonOf(refused) == "NOT_ADMIN");
  CHECK(RequireOwner(kOwner).ok());
  CHECK(plaza::ReasonOf(RequireOwner(kAdmin)) == "NOT_OWNER");
}

TEST_CASE("Group permissions admit every member or only the owner and admins", "[groups][rules]") {
  CHECK(RequireCanInvite(v1::PERMISSION_EVERY_MEMBER, kMember).ok());
  CHECK(plaza::ReasonOf(RequireCanInvite(v1::PERMISSION_OWNER_AND_ADMINS, kMember)) ==
        "INVITE_NOT_ALLOWED");
  CHECK(RequireCanInvite(v1::PERMISSION_OWNER_AND_ADMINS, kAdmin).ok());
  CHECK(plaza::ReasonOf(RequireCanEditName(v1::PERMISSION_OWNER_AND_ADMINS, kMember)) ==
        "EDIT_NAME_NOT_ALLOWED");
  CHECK(RequireCanEditName(v1::PERMISSION_OWNER_AND_ADMINS, kOwner).ok());
}

TEST_CASE("Join approval holds back only those an ordinary member brings", "[groups][rules]") {
  CHECK(NeedsApproval(true, kMember));
  CHECK_FALSE(NeedsApproval(true, kAdmin));
  CHECK_FALSE(NeedsApproval(true, kOwner));
  CHECK_FALSE(NeedsApproval(false, kMember));
}

TEST_CASE("Send policy: members send unless dissolved, muted, or all muted and not a manager",
          "[groups][rules]") {
  using namespace std::chrono_literals;
  plaza::core::TimePoint now{std::chrono::seconds(1'800'000'000)};
  SendState member{.group_exists = true, .role = kMember};

  auto allowed = DecideSendPolicy(member, now);
  CHECK(allowed.can_send);
  CHECK(allowed.refusal == v1::SEND_REFUSAL_UNSPECIFIED);
  CHECK_FALSE(allowed.can_mention_all);

  CHECK(DecideSendPolicy(SendState{.group_exists = true}, now).refusal ==
        v1::SEND_REFUSAL_NOT_A_MEMBER);
  CHECK(DecideSendPolicy(SendState{}, now).refusal == v1::SEND_REFUSAL_NOT_A_MEMBER);

  auto dissolved = member;
  dissolved.dissolved = true;
  CHECK(DecideSendPolicy(dissolved, now).refusal == v1::SEND_REFUSAL_DISSOLVED);

  auto muted = member;
  muted.muted_until = now + 10min;
  auto policy = DecideSendPolicy(muted, now);
  CHECK_FALSE(policy.can_send);
  CHECK(policy.refusal == v1::SEND_REFUSAL_MUTED);
  CHECK(policy.mute_end == now + 10min);
  // A mute ends by itself.
  CHECK(DecideSendPolicy(muted, now + 10min).can_send);

  auto all_muted = member;
  all_muted.mute_all = true;
  CHECK(DecideSendPolicy(all_muted, now).refusal == v1::SEND_REFUSAL_ALL_MUTED);
  for (auto role : {kAdmin, kOwner}) {
    auto manager = all_muted;
    manager.role = role;
    auto managed = DecideSendPolicy(manager, now);
    CHECK(managed.can_send);
    CHECK(managed.can_mention_all);
  }
  // An admin muted by the owner stays muted, mute-all or not.
  auto muted_admin = muted;
  muted_admin.role = kAdmin;
  CHECK(DecideSendPolicy(muted_admin, now).refusal == v1::SEND_REFUSAL_MUTED);
}

TEST_CASE("Undelivered changes wait 1 s, doubling, at most 5 minutes", "[groups][rules]") {
  using std::chrono::seconds;
  CHECK(RetryDelay(0) == seconds(1));
  CHECK(RetryDelay(1) == seconds(1));
  CHECK(RetryDelay(2) == seconds(2));
  CHECK(RetryDelay(5) == seconds(16));
  CHECK(RetryDelay(9) == seconds(256));
  CHECK(RetryDelay(10) == seconds(300));
  CHECK(RetryDelay(1'000'000) == seconds(300));
}
