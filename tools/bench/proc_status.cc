#include "tools/bench/proc_status.h"

#include <cctype>
#include <charconv>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>

namespace plaza::bench {
namespace {

std::string_view Trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  return text;
}

std::optional<int64_t> ParseNonNegative(std::string_view digits) {
  if (digits.empty()) return std::nullopt;
  int64_t value = 0;
  auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (error != std::errc() || end != digits.data() + digits.size() || value < 0) {
    return std::nullopt;
  }
  return value;
}

std::optional<std::string> ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return text.str();
}

}  // namespace

std::optional<int64_t> ParseVmRssKib(std::string_view status_text) {
  constexpr std::string_view kKey = "VmRSS:";
  while (!status_text.empty()) {
    size_t newline = status_text.find('\n');
    std::string_view line = status_text.substr(0, newline);
    status_text = newline == std::string_view::npos ? "" : status_text.substr(newline + 1);
    if (!line.starts_with(kKey)) continue;
    std::string_view rest = Trim(line.substr(kKey.size()));
    size_t space = rest.find_first_of(" \t");
    if (space == std::string_view::npos || Trim(rest.substr(space)) != "kB") return std::nullopt;
    return ParseNonNegative(rest.substr(0, space));
  }
  return std::nullopt;
}

std::optional<int> ParsePidFile(std::string_view text) {
  auto value = ParseNonNegative(Trim(text));
  if (!value || *value == 0 || *value > std::numeric_limits<int>::max()) return std::nullopt;
  return static_cast<int>(*value);
}

std::vector<std::filesystem::path> PidFileCandidates(const std::filesystem::path& relative,
                                                     const std::filesystem::path& cwd,
                                                     const std::filesystem::path& executable) {
  std::vector<std::filesystem::path> candidates;
  std::set<std::filesystem::path> seen;
  auto walk_up = [&](std::filesystem::path dir) {
    if (dir.empty()) return;
    dir = dir.lexically_normal();
    if (!dir.has_filename() && dir != dir.root_path()) dir = dir.parent_path();
    while (true) {
      auto candidate = (dir / relative).lexically_normal();
      if (seen.insert(candidate).second) candidates.push_back(candidate);
      if (!dir.has_relative_path()) break;  // the root (or a bare relative name)
      auto parent = dir.parent_path();
      if (parent == dir) break;
      dir = parent;
    }
  };
  walk_up(cwd);
  walk_up(executable.parent_path());
  return candidates;
}

double KibPerItem(int64_t before_kib, int64_t after_kib, int64_t items) {
  if (items <= 0) return std::numeric_limits<double>::quiet_NaN();
  return static_cast<double>(after_kib - before_kib) / static_cast<double>(items);
}

std::optional<int64_t> ReadRssKib(int pid) {
  auto status = ReadFile("/proc/" + std::to_string(pid) + "/status");
  if (!status) return std::nullopt;
  return ParseVmRssKib(*status);
}

std::string ProcessName(int pid) {
  auto comm = ReadFile("/proc/" + std::to_string(pid) + "/comm");
  return comm ? std::string(Trim(*comm)) : std::string();
}

}  // namespace plaza::bench
