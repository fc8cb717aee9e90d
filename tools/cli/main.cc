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
        "<friend|c:ID> [--before SEQ] [--limit N]",
        "show a conversation's messages",
        1,
        1,
        {{"before"}, {"limit"}}},
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
      {{"chat", "<friend|c:ID>", "chat live: type lines to send, /quit to leave", 1, 1, {}},
       cli::RunChat},
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
    if (command != nullptr) {
      std::cout << plaza::cli::CommandUsage(command->spec);
    } else {
      std::vector<const CommandSpec*> specs;
      for (const Command& each : Commands()) specs.push_back(&each.spec);
      std::cout << plaza::cli::ProgramUsage(specs);
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
