#include "plaza/core/config.h"

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <sstream>

namespace plaza::core {
namespace {

std::string KeyLabel(const ConfigKey& key) {
  return Config::EnvName(key.name) + " (" + Config::FlagName(key.name) + ")";
}

std::optional<int64_t> ParseInt(std::string_view text) {
  int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty()) {
    return std::nullopt;
  }
  return value;
}

std::optional<bool> ParseBool(std::string_view text) {
  if (text == "true" || text == "1" || text == "yes" || text == "on") return true;
  if (text == "false" || text == "0" || text == "no" || text == "off") return false;
  return std::nullopt;
}

std::string NormalizeFlag(std::string_view flag) {
  std::string name(flag);
  for (char& c : name) {
    if (c == '-') c = '_';
  }
  return name;
}

}  // namespace

std::optional<std::string> ProcessEnv(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

std::string Config::FlagName(std::string_view key) {
  std::string flag = "--" + std::string(key);
  for (char& c : flag) {
    if (c == '_') c = '-';
  }
  return flag;
}

std::string Config::EnvName(std::string_view key) {
  std::string env = "PLAZA_";
  for (char c : key) env += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return env;
}

Config Config::Load(const std::vector<ConfigKey>& keys, int argc, const char* const* argv,
                    const EnvLookup& env) {
  Config config;
  config.keys_ = keys;
  std::map<std::string, std::string, std::less<>> flags;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg.substr(0, 2) != "--") {
      throw ConfigError("unexpected argument '" + std::string(arg) + "': options look like --name=value");
    }
    arg.remove_prefix(2);
    std::string value;
    std::string name;
    if (auto eq = arg.find('='); eq != std::string_view::npos) {
      name = NormalizeFlag(arg.substr(0, eq));
      value = std::string(arg.substr(eq + 1));
    } else {
      name = NormalizeFlag(arg);
      const ConfigKey* declared = nullptr;
      for (const auto& key : keys) {
        if (key.name == name) declared = &key;
      }
      if (declared != nullptr && declared->type == ConfigType::kBool &&
          (i + 1 >= argc || std::string_view(argv[i + 1]).substr(0, 2) == "--")) {
        value = "true";
      } else if (i + 1 < argc) {
        value = argv[++i];
      } else {
        throw ConfigError("flag --" + std::string(arg) + " needs a value");
      }
    }
    flags[name] = value;
  }
  for (const auto& [name, value] : flags) {
    bool known = false;
    for (const auto& key : keys) known = known || key.name == name;
    if (!known) throw ConfigError("unknown flag " + FlagName(name) + " (see --help)");
  }

  for (const auto& key : config.keys_) {
    std::optional<std::string> text;
    if (auto it = flags.find(key.name); it != flags.end()) {
      text = it->second;
    } else if (auto from_env = env(EnvName(key.name))) {
      text = *from_env;
    } else {
      text = key.default_value;
    }
    if (!text) throw ConfigError(KeyLabel(key) + " is required: " + key.help);
    Value value{&key, *text};
    switch (key.type) {
      case ConfigType::kString:
        break;
      case ConfigType::kInt: {
        auto number = ParseInt(*text);
        if (!number || *number < key.min || *number > key.max) {
          throw ConfigError(KeyLabel(key) + ": expected an integer between " +
                            std::to_string(key.min) + " and " + std::to_string(key.max) +
                            ", got '" + *text + "'");
        }
        value.number = *number;
        break;
      }
      case ConfigType::kBool: {
        auto flag = ParseBool(*text);
        if (!flag) throw ConfigError(KeyLabel(key) + ": expected true or false, got '" + *text + "'");
        value.flag = *flag;
        break;
      }
    }
    config.values_.emplace(key.name, std::move(value));
  }
  return config;
}

Config Config::LoadOrExit(const std::vector<ConfigKey>& keys, int argc, const char* const* argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::string_view(argv[i]) == "--help") {
      std::cout << Help(keys);
      std::exit(0);
    }
  }
  try {
    return Load(keys, argc, argv);
  } catch (const ConfigError& error) {
    std::cerr << "configuration error: " << error.what() << "\n";
    std::exit(2);
  }
}

const Config::Value& Config::Get(std::string_view name, ConfigType type) const {
  auto it = values_.find(name);
  if (it == values_.end() || it->second.key->type != type) {
    std::fprintf(stderr, "config key '%.*s' read with the wrong type or never declared\n",
                 static_cast<int>(name.size()), name.data());
    std::abort();
  }
  return it->second;
}

const std::string& Config::String(std::string_view name) const {
  return Get(name, ConfigType::kString).text;
}
int64_t Config::Int(std::string_view name) const { return Get(name, ConfigType::kInt).number; }
bool Config::Bool(std::string_view name) const { return Get(name, ConfigType::kBool).flag; }

std::string Config::Describe() const {
  std::ostringstream out;
  for (const auto& key : keys_) {
    const auto& value = values_.at(key.name);
    if (out.tellp() > 0) out << ' ';
    out << key.name << '=';
    if (key.secret) {
      out << (value.text.empty() ? "<unset>" : "<set>");
    } else {
      out << value.text;
    }
  }
  return out.str();
}

std::string Config::Help(const std::vector<ConfigKey>& keys) {
  std::ostringstream out;
  for (const auto& key : keys) {
    out << "  " << FlagName(key.name) << "  (env " << EnvName(key.name) << ")";
    if (key.default_value && !key.secret) out << "  default '" << *key.default_value << "'";
    if (!key.default_value) out << "  required";
    out << "\n      " << key.help << "\n";
  }
  return out.str();
}

}  // namespace plaza::core
