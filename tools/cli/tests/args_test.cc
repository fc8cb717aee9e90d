#include "tools/cli/args.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

using plaza::cli::CommandSpec;
using plaza::cli::Invocation;
using plaza::cli::IsUsageError;
using plaza::cli::ParseCommandLine;
using plaza::cli::ParseInteger;

namespace {

const CommandSpec kLogin{
    "login", "<phone> (--code C | --password P)", "log in", 1, 1, {{"code"}, {"password"}}};
const CommandSpec kSend{"send", "<friend> <text...>", "send", 2, plaza::cli::kAnyNumber, {}};
const CommandSpec kRequests{"requests", "[--outgoing]", "list", 0, 0, {{"outgoing", false}}};
const CommandSpec kGroup{"group", "<command> [arguments]", "groups", 0, 0, {}, true};
const CommandSpec kGroupInvite{"group invite",
                               "<group_id> (<friend...> | --link [--ttl T])",
                               "invite",
                               1,
                               plaza::cli::kAnyNumber,
                               {{"link", false}, {"ttl"}}};
const CommandSpec kGroupLeave{"group leave", "<group_id>", "leave", 1, 1, {}};

absl::StatusOr<Invocation> Parse(std::vector<std::string> args) {
  return ParseCommandLine(args, [](std::string_view name) -> const CommandSpec* {
    for (const CommandSpec* spec :
         {&kLogin, &kSend, &kRequests, &kGroup, &kGroupInvite, &kGroupLeave}) {
      if (spec->name == name) return spec;
    }
    return nullptr;
  });
}

std::string UsageMessage(const absl::StatusOr<Invocation>& parsed) {
  REQUIRE_FALSE(parsed.ok());
  CHECK(IsUsageError(parsed.status()));
  return std::string(parsed.status().message());
}

}  // namespace

TEST_CASE("Flags go before or after the command, as --flag value or --flag=value", "[cli][args]") {
  auto parsed =
      Parse({"--server", "10.0.0.1:7000", "login", "+8613800138000", "--code=123456", "--json"});
  REQUIRE(parsed.ok());
  CHECK(parsed->command == "login");
  CHECK(parsed->args == std::vector<std::string>{"+8613800138000"});
  CHECK(parsed->Flag("code") == "123456");
  CHECK_FALSE(parsed->Flag("password").has_value());
  CHECK(parsed->server == "10.0.0.1:7000");
  CHECK(parsed->json);
  CHECK_FALSE(parsed->config_path.has_value());
}

TEST_CASE("A switch is present with an empty value, and may be repeated", "[cli][args]") {
  auto parsed = Parse({"--json", "requests", "--outgoing", "--outgoing", "--json"});
  REQUIRE(parsed.ok());
  CHECK(parsed->Has("outgoing"));
  CHECK(parsed->Flag("outgoing") == "");
  CHECK(parsed->json);
  CHECK(UsageMessage(Parse({"requests", "--outgoing=yes"})) == "--outgoing takes no value");
}

TEST_CASE("-- ends the flags, so text starting with dashes can be sent", "[cli][args]") {
  auto parsed = Parse({"send", "42", "--", "--json", "-h", "hi"});
  REQUIRE(parsed.ok());
  CHECK(parsed->args == std::vector<std::string>{"42", "--json", "-h", "hi"});
  CHECK_FALSE(parsed->json);
  CHECK_FALSE(parsed->help);
}

TEST_CASE("A lone dash is an argument (read from stdin)", "[cli][args]") {
  auto parsed = Parse({"send", "42", "-"});
  REQUIRE(parsed.ok());
  CHECK(parsed->args == std::vector<std::string>{"42", "-"});
}

TEST_CASE("Usage errors name what is wrong", "[cli][args]") {
  CHECK(UsageMessage(Parse({})) == "no command given (plaza --help lists them)");
  CHECK(UsageMessage(Parse({"frobnicate"})) == "unknown command 'frobnicate' (plaza --help)");
  CHECK(UsageMessage(Parse({"login", "+86", "--pin", "1"})) == "unknown flag '--pin' for 'login'");
  CHECK(UsageMessage(Parse({"--code", "1", "login", "+86"})) == "unknown flag '--code'");
  CHECK(UsageMessage(Parse({"login", "+86", "--code"})) == "--code needs a value");
  CHECK(UsageMessage(Parse({"login", "+86", "--code", "1", "--code", "2"})) ==
        "--code is given twice");
  CHECK(UsageMessage(Parse({"--server", "a", "login", "+86", "--server=b"})) ==
        "--server is given twice");
  CHECK(UsageMessage(Parse({"login", "+86", "-x"})) == "unknown flag '-x'");
  CHECK(UsageMessage(Parse({"login"})) == "usage: plaza login <phone> (--code C | --password P)");
  CHECK(UsageMessage(Parse({"login", "a", "b"})) ==
        "usage: plaza login <phone> (--code C | --password P)");
  CHECK(UsageMessage(Parse({"send", "42"})) == "usage: plaza send <friend> <text...>");
}

TEST_CASE("--help needs no complete command line", "[cli][args]") {
  auto general = Parse({"--help"});
  REQUIRE(general.ok());
  CHECK(general->help);
  CHECK(general->command.empty());
  auto specific = Parse({"login", "-h"});
  REQUIRE(specific.ok());
  CHECK(specific->help);
  CHECK(specific->command == "login");
}

TEST_CASE("Integers are whole decimal numbers", "[cli][args]") {
  CHECK(*ParseInteger("--limit", "20") == 20);
  CHECK(*ParseInteger("--before", "-1") == -1);
  for (std::string_view bad : {"", "20x", "x", "1.5", "99999999999999999999"}) {
    auto parsed = ParseInteger("--limit", bad);
    REQUIRE_FALSE(parsed.ok());
    CHECK(IsUsageError(parsed.status()));
  }
  CHECK(ParseInteger("--limit", "ten").status().message() ==
        "--limit must be a whole number, not 'ten'");
}

TEST_CASE("Usage texts show synopsis and summary", "[cli][args]") {
  CHECK(plaza::cli::CommandUsage(kSend) == "usage: plaza send <friend> <text...>\n  send\n");
  std::vector<const CommandSpec*> specs = {&kRequests};
  std::string usage = plaza::cli::ProgramUsage(specs);
  CHECK(usage.starts_with("usage: plaza [--server HOST:PORT]"));
  CHECK(usage.find("  requests [--outgoing]\n      list\n") != std::string::npos);
}

TEST_CASE("A family's command is its two words, flags anywhere", "[cli][args]") {
  auto parsed = Parse({"--json", "group", "invite", "77", "--link", "--ttl=1d"});
  REQUIRE(parsed.ok());
  CHECK(parsed->command == "group invite");
  CHECK(parsed->args == std::vector<std::string>{"77"});
  CHECK(parsed->Has("link"));
  CHECK(parsed->Flag("ttl") == "1d");
  CHECK(parsed->json);

  // Arguments that look like commands are arguments once the command is known.
  auto leave = Parse({"group", "leave", "invite"});
  REQUIRE(leave.ok());
  CHECK(leave->command == "group leave");
  CHECK(leave->args == std::vector<std::string>{"invite"});
}

TEST_CASE("A family alone or with an unknown command is a usage error", "[cli][args]") {
  CHECK(UsageMessage(Parse({"group"})) ==
        "usage: plaza group <command> [arguments] (plaza group --help lists them)");
  CHECK(UsageMessage(Parse({"group", "dance"})) ==
        "unknown command 'group dance' (plaza group --help)");
  CHECK(UsageMessage(Parse({"group", "leave", "77", "--link"})) ==
        "unknown flag '--link' for 'group leave'");
  CHECK(UsageMessage(Parse({"group", "leave"})) == "usage: plaza group leave <group_id>");
  auto help = Parse({"group", "--help"});
  REQUIRE(help.ok());
  CHECK(help->help);
  CHECK(help->command == "group");
}

TEST_CASE("A family's usage lists its commands; the program's lists them, not the family",
          "[cli][args]") {
  std::vector<const CommandSpec*> specs = {&kRequests, &kGroup, &kGroupInvite, &kGroupLeave};
  std::string family = plaza::cli::FamilyUsage(kGroup, specs);
  CHECK(family.starts_with("usage: plaza group <command> [arguments]\n  groups\n\ncommands:\n"));
  CHECK(family.find("  group leave <group_id>\n      leave\n") != std::string::npos);
  CHECK(family.find("requests") == std::string::npos);
  std::string program = plaza::cli::ProgramUsage(specs);
  CHECK(program.find("  group <command>") == std::string::npos);
  CHECK(program.find("  group invite <group_id> (<friend...> | --link [--ttl T])\n") !=
        std::string::npos);
}
