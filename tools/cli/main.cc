// plaza: the command-line client of a Plaza gateway. This file only lists the commands and wires
// the command line, the config file and the session to them; see command.h.

#include <cstdlib>
#include <iostream>
#include <vector>

#include "tools/cli/args.h"
#include "tools/cli/command.h"
#include "tools/cli/config_file.h"
#include "tools/cli/format.h"

namespace {

using plaza::cli::CommandHandler;
using plaza::cli::CommandSpec;

// Exit codes (tools/cli/README.md).
constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;
constexpr int kExitUnauthenticated = 3;

struct Command {
  CommandSpec spec;
  CommandHandler run;
};

const std::vector<Command>& Commands() {
  namespace cli = plaza::cli;
  static const std::vector<Command> commands = {
      {{"code", "<phone>", "send a login code by SMS", 1, 1, {}}, cli::RunCode},
      {{"register",
        "<phone> <code> --name NAME [--password P]",
        "create an account and log this device in",
        2,
        2,
        {{"name"}, {"password"}}},
       cli::RunRegister},
      {{"login",
        "<phone> (--code C | --password P)",
        "log this device in",
        1,
        1,
        {{"code"}, {"password"}}},
       cli::RunLogin},
      {{"logout", "", "end this device's session", 0, 0, {}}, cli::RunLogout},
      {{"whoami", "", "who is logged in, where, on which device", 0, 0, {}}, cli::RunWhoami},
      {{"profile",
        "[--name N] [--region R] [--signature S] [--plaza-id ID]",
        "show my profile, changing the fields given first",
        0,
        0,
        {{"name"}, {"region"}, {"signature"}, {"plaza-id"}}},
       cli::RunProfile},
      {{"friends", "", "list my friends", 0, 0, {}}, cli::RunFriends},
      {{"search", "<plaza-id-or-phone>", "find a user", 1, 1, {}}, cli::RunSearch},
      {{"add",
        "<user> [--greeting G]",
        "ask a user (id, Plaza ID or phone) to be friends",
        1,
        1,
        {{"greeting"}}},
       cli::RunAdd},
      {{"requests",
        "[--outgoing]",
        "list friend requests I received (or sent)",
        0,
        0,
        {{"outgoing", false}}},
       cli::RunRequests},
      {{"accept", "<request> [--remark R]", "accept a friend request", 1, 1, {{"remark"}}},
       cli::RunAccept},
      {{"decline", "<request>", "decline a friend request", 1, 1, {}}, cli::RunDecline},
      {{"conversations",
        "[--all]",
        "list conversations with unread counts (--all: hidden too)",
        0,
        0,
        {{"all", false}}},
       cli::RunConversations},
      {{"history",
        "<friend|c:ID> [--before SEQ] [--limit N] [--read-counts]",
        "show a conversation's messages (--read-counts: who read mine, in a group)",
        1,
        1,
        {{"before"}, {"limit"}, {"read-counts", false}}},
       cli::RunHistory},
      {{"send",
        "<friend|c:ID> <text...|->",
        "send a text message (- reads it from stdin)",
        2,
        plaza::cli::kAnyNumber,
        {}},
       cli::RunSend},
      {{"read", "<friend|c:ID>", "mark a conversation read", 1, 1, {}}, cli::RunRead},
      {{"sync", "", "fetch what changed since the last sync", 0, 0, {}}, cli::RunSync},
      {{"read-counts",
        "<group_id|c:ID> <seq...>",
        "how many members read my messages in a group",
        2,
        plaza::cli::kAnyNumber,
        {}},
       cli::RunReadCounts},
      {{"chat",
        "(<friend|c:ID> | --group GROUP_ID)",
        "chat live: type lines to send, /quit to leave",
        0,
        1,
        {{"group"}}},
       cli::RunChat},
      {{"group", "<command> [arguments]", "groups: make, join, manage", 0, 0, {}, true}, nullptr},
      {{"group create",
        "<name> <friend...> [--request-id ID]",
        "create a group with friends (\"\" for no name); you are its owner",
        2,
        plaza::cli::kAnyNumber,
        {{"request-id"}}},
       cli::RunGroupCreate},
      {{"group list", "", "list my groups", 0, 0, {}}, cli::RunGroupList},
      {{"group info",
        "<group_id> [--all]",
        "show a group and its first 100 members (--all: every member)",
        1,
        1,
        {{"all", false}}},
       cli::RunGroupInfo},
      {{"group invite",
        "<group_id> (<friend...> | --link [--ttl T])",
        "add friends, or make an invitation anyone can join with (T like 1h or 7d)",
        1,
        plaza::cli::kAnyNumber,
        {{"link", false}, {"ttl"}}},
       cli::RunGroupInvite},
      {{"group join",
        "<invitation|-> [--message M]",
        "join with an invitation (- reads it from stdin), or ask to",
        1,
        1,
        {{"message"}}},
       cli::RunGroupJoin},
      {{"group leave", "<group_id>", "leave a group", 1, 1, {}}, cli::RunGroupLeave},
      {{"group kick",
        "<group_id> <member...>",
        "remove members (owner and admins)",
        2,
        plaza::cli::kAnyNumber,
        {}},
       cli::RunGroupKick},
      {{"group mute",
        "<group_id> (<member> <duration|off> | --all on|off)",
        "silence a member for a while (10m, 2h, 1d) or everyone but admins",
        1,
        3,
        {{"all"}}},
       cli::RunGroupMute},
      {{"group admin",
        "<group_id> <member> on|off",
        "make a member an admin or take it back (owner)",
        3,
        3,
        {}},
       cli::RunGroupAdmin},
      {{"group announce",
        "<group_id> <text...|->",
        "set the announcement; every member is notified (\"\" removes it)",
        2,
        plaza::cli::kAnyNumber,
        {}},
       cli::RunGroupAnnounce},
  };
  return commands;
}

const Command* FindCommand(std::string_view name) {
  for (const Command& command : Commands()) {
    if (command.spec.name == name) return &command;
  }
  return nullptr;
}

int ExitCodeFor(const absl::Status& status) {
  if (plaza::cli::IsUsageError(status)) return kExitUsage;
  if (status.code() == absl::StatusCode::kUnauthenticated) return kExitUnauthenticated;
  return kExitFailed;
}

// Errors go to stderr as one line; with --json, stdout also gets them as its one document.
int Fail(const absl::Status& status, bool json) {
  std::cerr << plaza::cli::ErrorLine(status) << "\n";
  if (json) std::cout << plaza::cli::ErrorJson(status) << "\n";
  return ExitCodeFor(status);
}

// --json must shape even a command line that does not parse.
bool WantsJson(const std::vector<std::string>& args) {
  for (const std::string& arg : args) {
    if (arg == "--") return false;
    if (arg == "--json") return true;
  }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  auto invocation = plaza::cli::ParseCommandLine(args, [](std::string_view name) {
    const Command* command = FindCommand(name);
    return command == nullptr ? nullptr : &command->spec;
  });
  if (!invocation.ok()) return Fail(invocation.status(), WantsJson(args));
  const Command* command = FindCommand(invocation->command);
  if (invocation->help) {
    std::vector<const CommandSpec*> specs;
    for (const Command& each : Commands()) specs.push_back(&each.spec);
    if (command == nullptr) {
      std::cout << plaza::cli::ProgramUsage(specs);
    } else if (command->spec.family) {
      std::cout << plaza::cli::FamilyUsage(command->spec, specs);
    } else {
      std::cout << plaza::cli::CommandUsage(command->spec);
    }
    return 0;
  }

  bool json = invocation->json;
  auto config_path =
      invocation->config_path
          ? absl::StatusOr<std::string>(*invocation->config_path)
          : plaza::cli::ResolveConfigPath(std::getenv("PLAZA_CONFIG"),
                                          std::getenv("XDG_CONFIG_HOME"), std::getenv("HOME"));
  if (!config_path.ok()) return Fail(config_path.status(), json);
  plaza::cli::ConfigStore store(*config_path);
  auto config = store.Load();
  if (!config.ok()) return Fail(config.status(), json);
  std::string server =
      plaza::cli::ResolveServer(invocation->server, std::getenv("PLAZA_SERVER"), *config);

  plaza::cli::Session session(server, store, *config);
  plaza::cli::CommandContext context(*std::move(invocation), *config_path, session, std::cout);
  absl::Status status = command->run(context);
  if (!status.ok()) return Fail(status, json);
  return 0;
}
