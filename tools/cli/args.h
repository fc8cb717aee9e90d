#pragma once

// The command line: `plaza [flags] <command> [arguments] [flags]`. Flags may come anywhere after
// the program name, as `--flag value` or `--flag=value`; `--` ends them, so a message that starts
// with "--" can still be sent. Global flags (--server, --config, --json, --help) are known to
// every command; each command declares its own. A command may take two words: a family's word and
// the command's, like `group create` (the family `group` is a spec of its own, with `family` set,
// and the command's spec is named "group create").

#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace plaza::cli {

struct FlagSpec {
  std::string_view name;  // without the leading "--"
  bool takes_value = true;
};

inline constexpr size_t kAnyNumber = std::numeric_limits<size_t>::max();

struct CommandSpec {
  std::string_view name;
  std::string_view synopsis;  // what follows the name in usage, e.g. "<phone> --code C"
  std::string_view summary;
  size_t min_args = 0;
  size_t max_args = 0;  // kAnyNumber for a trailing list, like the words of a message
  std::vector<FlagSpec> flags;
  // Only the first word of its commands (`group` of "group create"): it runs nothing itself.
  bool family = false;
};

// A parsed command line.
struct Invocation {
  std::string command;  // empty only with --help and no command; "group create" for a family's
  std::vector<std::string> args;
  std::map<std::string, std::string, std::less<>> flags;  // a flag without value maps to ""
  std::optional<std::string> server;
  std::optional<std::string> config_path;
  bool json = false;
  bool help = false;

  bool Has(std::string_view flag) const { return flags.contains(flag); }
  // The flag's value, if it was given.
  std::optional<std::string> Flag(std::string_view flag) const;
};

// Looks a command up by name; nullptr if there is none.
using CommandLookup = std::function<const CommandSpec*(std::string_view name)>;

// Parses the arguments after the program name. Usage errors (UsageError) for an unknown command
// or flag, a flag with a value given twice, a missing value, a family without its command, or a
// wrong number of arguments; none of these is checked with --help, which only needs the command
// (if any; a family alone is enough).
absl::StatusOr<Invocation> ParseCommandLine(const std::vector<std::string>& args,
                                            const CommandLookup& find_command);

// INVALID_ARGUMENT with reason USAGE: the command line is wrong, nothing was sent.
absl::Status UsageError(std::string_view message);
bool IsUsageError(const absl::Status& status);

// `text` as a whole decimal integer, or a usage error naming `what`.
absl::StatusOr<int64_t> ParseInteger(std::string_view what, std::string_view text);

// "usage: plaza <name> <synopsis>" and the summary.
std::string CommandUsage(const CommandSpec& command);
// The program's usage: global flags, then every command with its synopsis and summary (families
// are not listed: their commands are).
std::string ProgramUsage(std::span<const CommandSpec* const> commands);
// A family's usage: its summary, then each of its commands (those of `commands` named
// "<family> ...") with synopsis and summary.
std::string FamilyUsage(const CommandSpec& family, std::span<const CommandSpec* const> commands);

}  // namespace plaza::cli
