#pragma once

// What every command gets, and the commands themselves: one function per command, grouped by
// subject in <subject>_commands.cc (the chat in chat_command.cc). main.cc lists them.

#include <functional>
#include <iosfwd>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tools/cli/args.h"
#include "tools/cli/session.h"

namespace plaza::cli {

class CommandContext {
 public:
  CommandContext(Invocation invocation, std::string config_path, Session& session,
                 std::ostream& out)
      : invocation_(std::move(invocation)),
        config_path_(std::move(config_path)),
        session_(session),
        out_(out) {}

  const Invocation& invocation() const { return invocation_; }
  const std::string& arg(size_t index) const { return invocation_.args.at(index); }
  bool json() const { return invocation_.json; }
  const std::string& config_path() const { return config_path_; }
  Session& session() { return session_; }
  std::ostream& out() { return out_; }

  // Prints a command's result: `json` with --json (one document), else what `human` renders.
  void Emit(const std::string& json, const std::function<std::string()>& human);

 private:
  Invocation invocation_;
  std::string config_path_;
  Session& session_;
  std::ostream& out_;
};

// `value` itself, or when it is "-" everything on stdin without its final newline: secrets and
// long texts need not appear on the command line.
absl::StatusOr<std::string> ValueOrStdin(const std::string& value);

// Seconds since the Unix epoch, for rendering times.
int64_t NowUnixSeconds();

using CommandHandler = absl::Status (*)(CommandContext&);

// account_commands.cc
absl::Status RunCode(CommandContext& context);
absl::Status RunRegister(CommandContext& context);
absl::Status RunLogin(CommandContext& context);
absl::Status RunLogout(CommandContext& context);
absl::Status RunWhoami(CommandContext& context);
absl::Status RunProfile(CommandContext& context);

// contact_commands.cc
absl::Status RunFriends(CommandContext& context);
absl::Status RunSearch(CommandContext& context);
absl::Status RunAdd(CommandContext& context);
absl::Status RunRequests(CommandContext& context);
absl::Status RunAccept(CommandContext& context);
absl::Status RunDecline(CommandContext& context);

// message_commands.cc
absl::Status RunConversations(CommandContext& context);
absl::Status RunHistory(CommandContext& context);
absl::Status RunSend(CommandContext& context);
absl::Status RunRead(CommandContext& context);
absl::Status RunSync(CommandContext& context);
absl::Status RunReadCounts(CommandContext& context);

// group_commands.cc
absl::Status RunGroupCreate(CommandContext& context);
absl::Status RunGroupList(CommandContext& context);
absl::Status RunGroupInfo(CommandContext& context);
absl::Status RunGroupInvite(CommandContext& context);
absl::Status RunGroupJoin(CommandContext& context);
absl::Status RunGroupLeave(CommandContext& context);
absl::Status RunGroupKick(CommandContext& context);
absl::Status RunGroupMute(CommandContext& context);
absl::Status RunGroupAdmin(CommandContext& context);
absl::Status RunGroupAnnounce(CommandContext& context);

// chat_command.cc
absl::Status RunChat(CommandContext& context);

}  // namespace plaza::cli
