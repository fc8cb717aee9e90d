#pragma once

// The client's state between runs (server, device id, tokens, sync cursor) in one JSON file that
// only its owner can read. Several `plaza` processes may share it (a chat running while a script
// sends), so every change is a locked read-modify-write and every write replaces the file
// atomically.

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "plaza/core/clock.h"
#include "tools/cli/cli_config.pb.h"

namespace plaza::cli {

inline constexpr std::string_view kDefaultServer = "127.0.0.1:7000";

// Where the file is: $PLAZA_CONFIG, else $XDG_CONFIG_HOME/plaza/config.json, else
// $HOME/.config/plaza/config.json. Unset and empty variables are alike (as the XDG spec says).
// FAILED_PRECONDITION when none is set.
absl::StatusOr<std::string> ResolveConfigPath(const char* plaza_config, const char* xdg_config_home,
                                              const char* home);

// The gateway to call: the --server flag, else $PLAZA_SERVER, else the last login's, else
// kDefaultServer.
std::string ResolveServer(const std::optional<std::string>& flag, const char* env,
                          const CliConfig& config);

// The file's text for `config`: protobuf JSON with the field names of cli_config.proto.
std::string SerializeConfig(const CliConfig& config);
// Unknown fields are ignored, so an older client reads a newer client's file.
absl::StatusOr<CliConfig> ParseConfig(std::string_view json);

// The config stored at `path`; an empty one if there is no file yet.
absl::StatusOr<CliConfig> ReadConfigFile(const std::string& path);
// Replaces the file at `path` atomically: writes a new file created with mode 0600 next to it,
// flushes it to disk, renames it over the old one. Missing directories are created with 0700.
absl::Status WriteConfigFile(const std::string& path, const CliConfig& config);

// True if the config holds an access token that is still good for `margin` from `now`: a token
// about to expire is refreshed before use rather than refused in flight. The margin is well below
// the shortest token lifetime identity allows (60 s); a larger clock difference ends in a
// TOKEN_EXPIRED refusal, which Session also answers with a refresh.
bool AccessTokenUsable(const CliConfig& config, core::TimePoint now,
                       std::chrono::seconds margin = std::chrono::seconds(15));

// One config file shared by processes.
class ConfigStore {
 public:
  explicit ConfigStore(std::string path) : path_(std::move(path)) {}

  absl::StatusOr<CliConfig> Load() const { return ReadConfigFile(path_); }

  // With an exclusive lock (flock on `<path>.lock`) held across processes: reads the file, lets
  // `change` edit it, writes it back if `change` returned OK and changed something. Returns the
  // config as stored, or the error of `change` (leaving the file as it was).
  absl::StatusOr<CliConfig> Update(const std::function<absl::Status(CliConfig&)>& change) const;

 private:
  std::string path_;
};

}  // namespace plaza::cli
