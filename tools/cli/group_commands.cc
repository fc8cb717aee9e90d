// plaza group create | list | info | invite | join | leave | kick | mute | admin | announce

#include <google/protobuf/util/time_util.h>

#include <chrono>
#include <memory>
#include <vector>

#include "tools/cli/command.h"
#include "tools/cli/format.h"
#include "tools/cli/group_args.h"
#include "tools/cli/ids.h"
#include "tools/cli/operations.h"

namespace plaza::cli {
namespace {

using google::protobuf::util::TimeUtil;
using groups::v1::AddMembersRequest;
using groups::v1::AddMembersResponse;
using groups::v1::CreateGroupRequest;
using groups::v1::CreateGroupResponse;
using groups::v1::CreateInviteRequest;
using groups::v1::CreateInviteResponse;
using groups::v1::Group;
using groups::v1::JoinByInviteRequest;
using groups::v1::JoinByInviteResponse;
using groups::v1::LeaveGroupRequest;
using groups::v1::LeaveGroupResponse;
using groups::v1::ListMyGroupsRequest;
using groups::v1::ListMyGroupsResponse;
using groups::v1::MuteAllRequest;
using groups::v1::MuteAllResponse;
using groups::v1::MuteMemberRequest;
using groups::v1::MuteMemberResponse;
using groups::v1::RemoveMembersRequest;
using groups::v1::RemoveMembersResponse;
using groups::v1::SetAdminRequest;
using groups::v1::SetAdminResponse;
using groups::v1::SetAnnouncementRequest;
using groups::v1::SetAnnouncementResponse;

// Members `plaza group info` shows without --all: ListMembers' default page.
constexpr int32_t kInfoMembersPage = 100;

// Names for what a command prints about a few people: friends, and the profiles of the others
// (one GetProfile each, so only for the people a command names). Nothing is fetched for --json.
class PeopleNames {
 public:
  static absl::StatusOr<std::unique_ptr<PeopleNames>> Load(CommandContext& context) {
    Session& session = context.session();
    NameBook book{.me = session.config().user_id()};
    if (!context.json()) {
      PLAZA_ASSIGN_OR_RETURN(book, LoadNameBook(session));
    }
    return std::make_unique<PeopleNames>(session, std::move(book), !context.json());
  }

  PeopleNames(Session& session, NameBook book, bool look_up)
      : names_(session, std::move(book), look_up) {}

  std::string Of(int64_t user_id) {
    names_.Learn(user_id);
    return names_.NameOf(user_id);
  }

  // "Bob, Lin and user 42".
  template <typename Ids>
  std::string List(const Ids& user_ids) {
    std::vector<std::string> names;
    for (int64_t user_id : user_ids) names.push_back(Of(user_id));
    return JoinNames(names);
  }

 private:
  UserNames names_;
};

absl::StatusOr<int64_t> GroupArg(CommandContext& context) { return ParseGroupId(context.arg(0)); }

std::string ChatHint(int64_t group_id) {
  return "Chat: plaza chat --group " + std::to_string(group_id) + "\n";
}

int64_t UnixMillisNow() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

absl::Status RunGroupCreate(CommandContext& context) {
  Session& session = context.session();
  PLAZA_ASSIGN_OR_RETURN(
      GroupCreateArgs args,
      ParseGroupCreate(context.invocation(), NewClientMessageId(UnixMillisNow(), RandomBits())));
  CreateGroupRequest request;
  request.set_client_request_id(args.client_request_id);
  request.set_name(args.name);
  PLAZA_ASSIGN_OR_RETURN(auto member_ids, ResolveUsers(session, args.friends));
  for (int64_t user_id : member_ids) request.add_member_ids(user_id);
  // The same client_request_id on every attempt: a create that reached the server before its
  // answer was lost returns that group instead of making a second.
  PLAZA_ASSIGN_OR_RETURN(
      auto created, RetryTransient([&] {
        return session.Call<CreateGroupResponse>([&](grpc::ClientContext* call, auto* out) {
          return session.groups().CreateGroup(call, request, out);
        });
      }));
  context.Emit(ProtoJson(created), [&] {
    const Group& group = created.group();
    return "Created " + GroupTitle(group) + ", group " + std::to_string(group.group_id()) +
           ", with " + std::to_string(group.member_count()) + " members (request id " +
           args.client_request_id + ").\n" + ChatHint(group.group_id());
  });
  return absl::OkStatus();
}

absl::Status RunGroupList(CommandContext& context) {
  Session& session = context.session();
  ListMyGroupsRequest request;
  request.set_page_size(100);
  PLAZA_ASSIGN_OR_RETURN(
      auto all, session.CallPages<ListMyGroupsResponse>(
                    request,
                    [&](auto* call, const auto& page_request, auto* out) {
                      return session.groups().ListMyGroups(call, page_request, out);
                    },
                    [](auto& all, const auto& page) {
                      all.mutable_groups()->MergeFrom(page.groups());
                    }));
  context.Emit(ProtoJson(all), [&] { return RenderGroups(all, NowUnixSeconds()); });
  return absl::OkStatus();
}

absl::Status RunGroupInfo(CommandContext& context) {
  Session& session = context.session();
  PLAZA_ASSIGN_OR_RETURN(int64_t group_id, GroupArg(context));
  PLAZA_ASSIGN_OR_RETURN(Group group, GetGroup(session, group_id));
  PLAZA_ASSIGN_OR_RETURN(auto members, ListMembers(session, group_id, kInfoMembersPage,
                                                   context.invocation().Has("all")));
  NameBook book{.me = session.config().user_id()};
  if (!context.json()) {
    PLAZA_ASSIGN_OR_RETURN(book, LoadNameBook(session));
  }
  // Friends are named in the member list; the owner and the announcement's author always.
  UserNames names(session, std::move(book), /*look_up=*/!context.json());
  names.Learn(group.owner_id());
  names.Learn(group.announcement().author_id());
  // {"group": …, "members": […], "next_page_token": ""}
  context.Emit(
      MergeJsonObjects(JsonObject().AddJson("group", ProtoJson(group)).str(), ProtoJson(members)),
      [&] {
        return names.With([&](const NameBook& known) {
          return RenderGroupInfo(group, members, known, NowUnixSeconds());
        });
      });
  return absl::OkStatus();
}

absl::Status RunGroupInvite(CommandContext& context) {
  Session& session = context.session();
  PLAZA_ASSIGN_OR_RETURN(GroupInviteArgs args, ParseGroupInvite(context.invocation()));
  if (args.link) {
    CreateInviteRequest request;
    request.set_group_id(args.group_id);
    request.set_ttl_seconds(args.ttl_seconds);
    PLAZA_ASSIGN_OR_RETURN(
        auto made, session.Call<CreateInviteResponse>([&](grpc::ClientContext* call, auto* out) {
          return session.groups().CreateInvite(call, request, out);
        }));
    context.Emit(ProtoJson(made), [&] {
      const auto& invite = made.invite();
      return "Invitation " + std::to_string(invite.invite_id()) + " to group " +
             std::to_string(invite.group_id()) + ", valid until " +
             FormatTime(TimeUtil::TimestampToSeconds(invite.expire_time()), NowUnixSeconds()) +
             ":\n" + invite.payload() + "\nJoin with: plaza group join " + invite.payload() + "\n";
    });
    return absl::OkStatus();
  }
  AddMembersRequest request;
  request.set_group_id(args.group_id);
  PLAZA_ASSIGN_OR_RETURN(auto user_ids, ResolveUsers(session, args.friends));
  for (int64_t user_id : user_ids) request.add_user_ids(user_id);
  PLAZA_ASSIGN_OR_RETURN(
      auto added, session.Call<AddMembersResponse>([&](grpc::ClientContext* call, auto* out) {
        return session.groups().AddMembers(call, request, out);
      }));
  PLAZA_ASSIGN_OR_RETURN(auto names, PeopleNames::Load(context));
  context.Emit(ProtoJson(added), [&] {
    std::string text;
    if (!added.added_user_ids().empty()) {
      text += "Added " + names->List(added.added_user_ids()) + ".\n";
    }
    if (!added.pending_user_ids().empty()) {
      text +=
          names->List(added.pending_user_ids()) + " will join once an owner or admin approves.\n";
    }
    if (text.empty()) text = "Nobody added: they all are members already.\n";
    return text;
  });
  return absl::OkStatus();
}

absl::Status RunGroupJoin(CommandContext& context) {
  Session& session = context.session();
  JoinByInviteRequest request;
  PLAZA_ASSIGN_OR_RETURN(std::string payload, ValueOrStdin(context.arg(0)));
  request.set_payload(payload);
  request.set_message(context.invocation().Flag("message").value_or(""));
  PLAZA_ASSIGN_OR_RETURN(
      auto joined, session.Call<JoinByInviteResponse>([&](grpc::ClientContext* call, auto* out) {
        return session.groups().JoinByInvite(call, request, out);
      }));
  context.Emit(ProtoJson(joined), [&] { return RenderJoin(joined); });
  return absl::OkStatus();
}

absl::Status RunGroupLeave(CommandContext& context) {
  Session& session = context.session();
  LeaveGroupRequest request;
  PLAZA_ASSIGN_OR_RETURN(int64_t group_id, GroupArg(context));
  request.set_group_id(group_id);
  PLAZA_RETURN_IF_ERROR(session
                            .Call<LeaveGroupResponse>([&](grpc::ClientContext* call, auto* out) {
                              return session.groups().LeaveGroup(call, request, out);
                            })
                            .status());
  context.Emit(JsonObject().AddBool("left", true).Add("group_id", std::to_string(group_id)).str(),
               [&] { return "You left group " + std::to_string(group_id) + ".\n"; });
  return absl::OkStatus();
}

absl::Status RunGroupKick(CommandContext& context) {
  Session& session = context.session();
  PLAZA_ASSIGN_OR_RETURN(int64_t group_id, GroupArg(context));
  PLAZA_ASSIGN_OR_RETURN(auto members, ParseUserList("member", context.invocation().args, 1));
  RemoveMembersRequest request;
  request.set_group_id(group_id);
  PLAZA_ASSIGN_OR_RETURN(auto user_ids, ResolveUsers(session, members));
  for (int64_t user_id : user_ids) request.add_user_ids(user_id);
  PLAZA_ASSIGN_OR_RETURN(
      auto removed, session.Call<RemoveMembersResponse>([&](grpc::ClientContext* call, auto* out) {
        return session.groups().RemoveMembers(call, request, out);
      }));
  PLAZA_ASSIGN_OR_RETURN(auto names, PeopleNames::Load(context));
  context.Emit(ProtoJson(removed), [&] {
    if (removed.removed_user_ids().empty())
      return std::string("Nobody removed: none was a member.\n");
    return "Removed " + names->List(removed.removed_user_ids()) + " from group " +
           std::to_string(group_id) + ".\n";
  });
  return absl::OkStatus();
}

absl::Status RunGroupMute(CommandContext& context) {
  Session& session = context.session();
  PLAZA_ASSIGN_OR_RETURN(GroupMuteArgs args, ParseGroupMute(context.invocation()));
  if (args.mute_all) {
    MuteAllRequest request;
    request.set_group_id(args.group_id);
    request.set_muted(*args.mute_all);
    PLAZA_ASSIGN_OR_RETURN(auto muted,
                           session.Call<MuteAllResponse>([&](grpc::ClientContext* call, auto* out) {
                             return session.groups().MuteAll(call, request, out);
                           }));
    context.Emit(ProtoJson(muted), [&] {
      return muted.group().mute_all()
                 ? "Only the owner and admins may speak in " + GroupTitle(muted.group()) + " now.\n"
                 : "Everyone may speak in " + GroupTitle(muted.group()) + " again.\n";
    });
    return absl::OkStatus();
  }
  MuteMemberRequest request;
  request.set_group_id(args.group_id);
  PLAZA_ASSIGN_OR_RETURN(int64_t user_id,
                         RetryTransient([&] { return ResolveUser(session, args.member); }));
  request.set_user_id(user_id);
  request.set_duration_seconds(args.duration_seconds);
  PLAZA_ASSIGN_OR_RETURN(
      auto muted, session.Call<MuteMemberResponse>([&](grpc::ClientContext* call, auto* out) {
        return session.groups().MuteMember(call, request, out);
      }));
  PLAZA_ASSIGN_OR_RETURN(auto names, PeopleNames::Load(context));
  context.Emit(ProtoJson(muted), [&] {
    std::string name = names->Of(user_id);
    if (args.duration_seconds == 0) return name + " may speak again.\n";
    return name + " is muted for " + FormatDuration(args.duration_seconds) + ", until " +
           FormatTime(TimeUtil::TimestampToSeconds(muted.member().mute_end_time()),
                      NowUnixSeconds()) +
           ".\n";
  });
  return absl::OkStatus();
}

absl::Status RunGroupAdmin(CommandContext& context) {
  Session& session = context.session();
  PLAZA_ASSIGN_OR_RETURN(GroupAdminArgs args, ParseGroupAdmin(context.invocation()));
  SetAdminRequest request;
  request.set_group_id(args.group_id);
  PLAZA_ASSIGN_OR_RETURN(int64_t user_id,
                         RetryTransient([&] { return ResolveUser(session, args.member); }));
  request.set_user_id(user_id);
  request.set_admin(args.admin);
  PLAZA_ASSIGN_OR_RETURN(auto set,
                         session.Call<SetAdminResponse>([&](grpc::ClientContext* call, auto* out) {
                           return session.groups().SetAdmin(call, request, out);
                         }));
  PLAZA_ASSIGN_OR_RETURN(auto names, PeopleNames::Load(context));
  context.Emit(ProtoJson(set), [&] {
    return names->Of(user_id) + " is " + (args.admin ? "now an admin" : "no longer an admin") +
           " of group " + std::to_string(args.group_id) + ".\n";
  });
  return absl::OkStatus();
}

absl::Status RunGroupAnnounce(CommandContext& context) {
  Session& session = context.session();
  const auto& args = context.invocation().args;
  PLAZA_ASSIGN_OR_RETURN(int64_t group_id, GroupArg(context));
  std::string text;
  for (size_t i = 1; i < args.size(); ++i) text += (i > 1 ? " " : "") + args[i];
  PLAZA_ASSIGN_OR_RETURN(text, ValueOrStdin(text));
  SetAnnouncementRequest request;
  request.set_group_id(group_id);
  request.set_text(text);
  PLAZA_ASSIGN_OR_RETURN(
      auto set, session.Call<SetAnnouncementResponse>([&](grpc::ClientContext* call, auto* out) {
        return session.groups().SetAnnouncement(call, request, out);
      }));
  context.Emit(ProtoJson(set), [&] {
    return text.empty()
               ? "The announcement of " + GroupTitle(set.group()) + " is removed.\n"
               : "Announced in " + GroupTitle(set.group()) + "; every member is notified.\n";
  });
  return absl::OkStatus();
}

}  // namespace plaza::cli
