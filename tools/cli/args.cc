#include "tools/cli/args.h"

#include <algorithm>
#include <array>
#include <charconv>

#include "plaza/core/status.h"

namespace plaza::cli {
namespace {

constexpr std::string_view kUsageReason = "USAGE";

const std::array<FlagSpec, 4> kGlobalFlags = {{
    {.name = "server", .takes_value = true},
    {.name = "config", .takes_value = true},
    {.name = "json", .takes_value = false},
    {.name = "help", .takes_value = false},
}};

const FlagSpec* FindFlag(std::span<const FlagSpec> flags, std::string_view name) {
  auto found = std::find_if(flags.begin(), flags.end(),
                            [&](const FlagSpec& flag) { return flag.name == name; });
  return found == flags.end() ? nullptr : &*found;
}

absl::Status StoreGlobalFlag(std::string_view name, std::string value, Invocation& invocation) {
  auto store = [&](std::optional<std::string>& slot) {
    if (slot) return UsageError("--" + std::string(name) + " is given twice");
    slot = std::move(value);
    return absl::OkStatus();
  };
  if (name == "server") return store(invocation.server);
  if (name == "config") return store(invocation.config_path);
  if (name == "json") invocation.json = true;
  if (name == "help") invocation.help = true;
  return absl::OkStatus();
}

// "<name> <synopsis>".
std::string SynopsisLine(const CommandSpec& command) {
  std::string line(command.name);
  if (!command.synopsis.empty()) line += " " + std::string(command.synopsis);
  return line;
}

// Checks what can only be checked once the whole line is read.
absl::Status CheckComplete(const Invocation& invocation, const CommandSpec* command) {
  if (invocation.help) return absl::OkStatus();
  if (command == nullptr) return UsageError("no command given (plaza --help lists them)");
  if (command->family) {
    return UsageError("usage: plaza " + SynopsisLine(*command) + " (plaza " +
                      std::string(command->name) + " --help lists them)");
  }
  size_t count = invocation.args.size();
  if (count < command->min_args || count > command->max_args) {
    return UsageError("usage: plaza " + SynopsisLine(*command));
  }
  return absl::OkStatus();
}

}  // namespace

std::optional<std::string> Invocation::Flag(std::string_view flag) const {
  auto found = flags.find(flag);
  if (found == flags.end()) return std::nullopt;
  return found->second;
}

absl::StatusOr<Invocation> ParseCommandLine(const std::vector<std::string>& args,
                                            const CommandLookup& find_command) {
  Invocation invocation;
  const CommandSpec* command = nullptr;
  bool flags_ended = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& token = args[i];
    bool is_flag = !flags_ended && token.size() > 1 && token[0] == '-';
    if (!flags_ended && token == "--") {
      flags_ended = true;
      continue;
    }
    if (!is_flag) {
      if (command != nullptr && !command->family) {
        invocation.args.push_back(token);
        continue;
      }
      // The first word, or a family's second.
      std::string name = command == nullptr ? token : invocation.command + " " + token;
      const CommandSpec* found = find_command(name);
      if (found == nullptr) {
        return UsageError("unknown command '" + name + "' (plaza " +
                          (command == nullptr ? "" : invocation.command + " ") + "--help)");
      }
      command = found;
      invocation.command = std::move(name);
      continue;
    }
    if (token == "-h") {
      invocation.help = true;
      continue;
    }
    if (!token.starts_with("--")) return UsageError("unknown flag '" + token + "'");
    std::string_view body = std::string_view(token).substr(2);
    size_t equals = body.find('=');
    std::string name(body.substr(0, equals));
    const FlagSpec* own = command == nullptr ? nullptr : FindFlag(command->flags, name);
    const FlagSpec* global = FindFlag(kGlobalFlags, name);
    const FlagSpec* spec = own != nullptr ? own : global;
    if (spec == nullptr) {
      return UsageError("unknown flag '--" + name + "'" +
                        (command == nullptr ? "" : " for '" + invocation.command + "'"));
    }
    std::string value;
    if (equals != std::string_view::npos) {
      if (!spec->takes_value) return UsageError("--" + name + " takes no value");
      value = std::string(body.substr(equals + 1));
    } else if (spec->takes_value) {
      if (i + 1 >= args.size()) return UsageError("--" + name + " needs a value");
      value = args[++i];
    }
    if (spec == global) {
      PLAZA_RETURN_IF_ERROR(StoreGlobalFlag(name, std::move(value), invocation));
      continue;
    }
    // A switch given twice is still on; a value given twice is ambiguous.
    if (!invocation.flags.emplace(name, std::move(value)).second && spec->takes_value) {
      return UsageError("--" + name + " is given twice");
    }
  }
  PLAZA_RETURN_IF_ERROR(CheckComplete(invocation, command));
  return invocation;
}

absl::Status UsageError(std::string_view message) { return InvalidArgument(kUsageReason, message); }

bool IsUsageError(const absl::Status& status) {
  return status.code() == absl::StatusCode::kInvalidArgument && ReasonOf(status) == kUsageReason;
}

absl::StatusOr<int64_t> ParseInteger(std::string_view what, std::string_view text) {
  int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) {
    return UsageError(std::string(what) + " must be a whole number, not '" + std::string(text) +
                      "'");
  }
  return value;
}

std::string CommandUsage(const CommandSpec& command) {
  return "usage: plaza " + SynopsisLine(command) + "\n  " + std::string(command.summary) + "\n";
}

std::string ProgramUsage(std::span<const CommandSpec* const> commands) {
  std::string usage =
      "usage: plaza [--server HOST:PORT] [--config PATH] [--json] <command> [arguments]\n\n"
      "  --server  the gateway (default: $PLAZA_SERVER, the last login's, 127.0.0.1:7000)\n"
      "  --config  the state file (default: $PLAZA_CONFIG, "
      "$XDG_CONFIG_HOME/plaza/config.json,\n"
      "            ~/.config/plaza/config.json)\n"
      "  --json    print one JSON document on stdout (errors too) for scripts\n\n"
      "commands:\n";
  for (const CommandSpec* command : commands) {
    if (command->family) continue;
    usage += "  " + SynopsisLine(*command) + "\n      " + std::string(command->summary) + "\n";
  }
  return usage + "\n`plaza <command> --help` shows one command.\n";
}

std::string FamilyUsage(const CommandSpec& family, std::span<const CommandSpec* const> commands) {
  std::string usage = "usage: plaza " + SynopsisLine(family) + "\n  " +
                      std::string(family.summary) + "\n\ncommands:\n";
  std::string prefix = std::string(family.name) + " ";
  for (const CommandSpec* command : commands) {
    if (command->family || !command->name.starts_with(prefix)) continue;
    usage += "  " + SynopsisLine(*command) + "\n      " + std::string(command->summary) + "\n";
  }
  return usage + "\n`plaza " + std::string(family.name) + " <command> --help` shows one command.\n";
}

}  // namespace plaza::cli
