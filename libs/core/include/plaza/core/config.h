#pragma once

// Typed configuration from command-line flags and environment variables.
//
// A key named `grpc_port` is read from the flag `--grpc-port=VALUE` (or `--grpc-port VALUE`) and
// from the environment variable `PLAZA_GRPC_PORT`; the flag wins. Every key is declared up front
// with its type, range and default, and Load() validates all of them at once, so a service
// refuses to start with an error that names the bad key instead of failing later.

#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace plaza::core {

enum class ConfigType { kString, kInt, kBool };

struct ConfigKey {
  std::string name;  // lower_snake_case
  ConfigType type = ConfigType::kString;
  // Used when neither flag nor environment sets the key. Required keys have none.
  std::optional<std::string> default_value;
  std::string help;
  int64_t min = std::numeric_limits<int64_t>::min();  // inclusive range for kInt
  int64_t max = std::numeric_limits<int64_t>::max();
  bool secret = false;  // value is never printed by Describe()
};

// Thrown by Config::Load; what() names the key, its flag and environment spellings, and the
// problem.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

// Reads the process environment.
std::optional<std::string> ProcessEnv(const std::string& name);

class Config {
 public:
  // Validates every key. Throws ConfigError on an unknown flag, a missing required key, or a
  // value of the wrong type or out of range.
  static Config Load(const std::vector<ConfigKey>& keys, int argc, const char* const* argv,
                     const EnvLookup& env = ProcessEnv);

  // Like Load(), but prints the error (or, for --help, the key list) and exits the process.
  static Config LoadOrExit(const std::vector<ConfigKey>& keys, int argc, const char* const* argv);

  // Accessors abort if the key was not declared with that type: that is a programming error.
  const std::string& String(std::string_view name) const;
  int64_t Int(std::string_view name) const;
  bool Bool(std::string_view name) const;

  // "key=value ..." for every key, secrets shown as "<set>" or "<unset>", for the start-up log.
  std::string Describe() const;

  // One line per key: flag, environment variable, default and help.
  static std::string Help(const std::vector<ConfigKey>& keys);

  static std::string FlagName(std::string_view key);  // grpc_port -> --grpc-port
  static std::string EnvName(std::string_view key);   // grpc_port -> PLAZA_GRPC_PORT

 private:
  struct Value {
    const ConfigKey* key;
    std::string text;
    int64_t number = 0;
    bool flag = false;
  };
  std::vector<ConfigKey> keys_;
  std::map<std::string, Value, std::less<>> values_;
  const Value& Get(std::string_view name, ConfigType type) const;
};

}  // namespace plaza::core
