#include "tools/bench/proc_status.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>
#include <system_error>

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

// The whitespace-separated fields of `text`.
std::vector<std::string_view> Fields(std::string_view text) {
  std::vector<std::string_view> fields;
  while (true) {
    text = Trim(text);
    if (text.empty()) return fields;
    size_t end = 0;
    while (end < text.size() && !std::isspace(static_cast<unsigned char>(text[end]))) ++end;
    fields.push_back(text.substr(0, end));
    text.remove_prefix(end);
  }
}

std::optional<uint64_t> ParseHex(std::string_view digits) {
  if (digits.empty()) return std::nullopt;
  uint64_t value = 0;
  auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value, 16);
  if (error != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return value;
}

std::optional<int> ParsePortNumber(std::string_view digits) {
  auto value = ParseNonNegative(digits);
  if (!value || *value < 1 || *value > 65535) return std::nullopt;
  return static_cast<int>(*value);
}

// "host:port", "[v6]:port" or "host": the port, `default_port` if none, nullopt if malformed.
std::optional<int> PortOfHostPort(std::string_view host_port, int default_port) {
  if (host_port.starts_with('[')) {
    size_t close = host_port.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    std::string_view rest = host_port.substr(close + 1);
    if (rest.empty()) return default_port;
    if (!rest.starts_with(':')) return std::nullopt;
    return ParsePortNumber(rest.substr(1));
  }
  size_t colon = host_port.rfind(':');
  if (colon == std::string_view::npos) return default_port;
  return ParsePortNumber(host_port.substr(colon + 1));
}

// Every pid under /proc.
std::vector<int> ListPids() {
  std::vector<int> pids;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", error)) {
    if (auto pid = ParsePidFile(entry.path().filename().string())) pids.push_back(*pid);
  }
  return pids;
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

std::optional<ProcStat> ParseProcStat(std::string_view stat_text) {
  size_t paren = stat_text.rfind(')');
  if (paren == std::string_view::npos) return std::nullopt;
  // After the name: state (field 3 of proc(5)), ppid (4), ..., utime (14), stime (15), ...,
  // starttime (22).
  std::vector<std::string_view> fields = Fields(stat_text.substr(paren + 1));
  if (fields.size() < 20) return std::nullopt;
  auto ppid = ParseNonNegative(fields[1]);
  auto utime = ParseNonNegative(fields[11]);
  auto stime = ParseNonNegative(fields[12]);
  auto start = ParseNonNegative(fields[19]);
  if (!ppid || !utime || !stime || !start || *ppid > std::numeric_limits<int>::max()) {
    return std::nullopt;
  }
  return ProcStat{
      .ppid = static_cast<int>(*ppid), .cpu_ticks = *utime + *stime, .start_ticks = *start};
}

int64_t CpuTicksBetween(const std::map<int, ProcStat>& before,
                        const std::map<int, ProcStat>& after) {
  int64_t ticks = 0;
  for (const auto& [pid, now] : after) {
    auto then = before.find(pid);
    bool same = then != before.end() && then->second.start_ticks == now.start_ticks;
    ticks += same ? std::max<int64_t>(0, now.cpu_ticks - then->second.cpu_ticks) : now.cpu_ticks;
  }
  return ticks;
}

std::optional<MachineCpu> ParseMachineCpu(std::string_view proc_stat_text) {
  std::string_view line = proc_stat_text.substr(0, proc_stat_text.find('\n'));
  std::vector<std::string_view> fields = Fields(line);
  // "cpu", then user nice system idle iowait irq softirq steal (guest time is inside user).
  if (fields.size() < 9 || fields[0] != "cpu") return std::nullopt;
  MachineCpu cpu;
  for (size_t i = 1; i <= 8; ++i) {
    auto ticks = ParseNonNegative(fields[i]);
    if (!ticks) return std::nullopt;
    cpu.total_ticks += *ticks;
    if (i != 4 && i != 5) cpu.busy_ticks += *ticks;  // not idle, not iowait
  }
  return cpu;
}

std::vector<uint64_t> ParseListeningInodes(std::string_view net_tcp_text, int port) {
  constexpr std::string_view kListen = "0A";
  std::vector<uint64_t> inodes;
  while (!net_tcp_text.empty()) {
    size_t newline = net_tcp_text.find('\n');
    std::string_view line = net_tcp_text.substr(0, newline);
    net_tcp_text = newline == std::string_view::npos ? "" : net_tcp_text.substr(newline + 1);
    std::vector<std::string_view> fields = Fields(line);
    if (fields.size() < 10 || fields[3] != kListen) continue;
    size_t colon = fields[1].rfind(':');
    if (colon == std::string_view::npos) continue;
    auto local_port = ParseHex(fields[1].substr(colon + 1));
    auto inode = ParseNonNegative(fields[9]);
    if (!local_port || !inode || *local_port != static_cast<uint64_t>(port) || *inode == 0) {
      continue;
    }
    inodes.push_back(static_cast<uint64_t>(*inode));
  }
  return inodes;
}

std::optional<uint64_t> ParseSocketInode(std::string_view link_target) {
  constexpr std::string_view kPrefix = "socket:[";
  if (!link_target.starts_with(kPrefix) || !link_target.ends_with(']')) return std::nullopt;
  auto inode =
      ParseNonNegative(link_target.substr(kPrefix.size(), link_target.size() - kPrefix.size() - 1));
  if (!inode) return std::nullopt;
  return static_cast<uint64_t>(*inode);
}

std::optional<int> ParsePort(std::string_view address, int default_port) {
  address = Trim(address);
  if (address.empty()) return std::nullopt;
  size_t scheme = address.find("://");
  if (scheme == std::string_view::npos) return PortOfHostPort(address, default_port);
  std::string_view authority = address.substr(scheme + 3);
  authority = authority.substr(0, authority.find_first_of("/?#"));
  if (size_t at = authority.rfind('@'); at != std::string_view::npos) {
    authority.remove_prefix(at + 1);
  }
  if (authority.empty()) return std::nullopt;
  return PortOfHostPort(authority, default_port);
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

std::optional<ProcStat> ReadProcStat(int pid) {
  auto stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return std::nullopt;
  return ParseProcStat(*stat);
}

std::map<int, ProcStat> ReadAllProcStats() {
  std::map<int, ProcStat> all;
  for (int pid : ListPids()) {
    if (auto stat = ReadProcStat(pid)) all.emplace(pid, *stat);
  }
  return all;
}

std::map<int, ProcStat> ProcessTree(const std::map<int, ProcStat>& all, int root) {
  std::map<int, ProcStat> tree;
  if (!all.contains(root)) return tree;
  std::multimap<int, int> children;  // ppid -> pid
  for (const auto& [pid, stat] : all) children.emplace(stat.ppid, pid);
  std::vector<int> pending{root};
  while (!pending.empty()) {
    int pid = pending.back();
    pending.pop_back();
    if (!tree.emplace(pid, all.at(pid)).second) continue;
    auto [first, last] = children.equal_range(pid);
    for (auto it = first; it != last; ++it) pending.push_back(it->second);
  }
  return tree;
}

std::optional<int> PidListeningOn(int port) {
  std::set<uint64_t> inodes;
  for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    if (auto text = ReadFile(table)) {
      for (uint64_t inode : ParseListeningInodes(*text, port)) inodes.insert(inode);
    }
  }
  if (inodes.empty()) return std::nullopt;
  for (int pid : ListPids()) {
    std::error_code error;
    std::filesystem::directory_iterator fds("/proc/" + std::to_string(pid) + "/fd", error);
    if (error) continue;
    for (const auto& fd : fds) {
      auto target = std::filesystem::read_symlink(fd.path(), error);
      if (error) continue;
      auto inode = ParseSocketInode(target.string());
      if (inode && inodes.contains(*inode)) return pid;
    }
  }
  return std::nullopt;
}

std::optional<MachineCpu> ReadMachineCpu() {
  auto stat = ReadFile("/proc/stat");
  if (!stat) return std::nullopt;
  return ParseMachineCpu(*stat);
}

double ClockTicks() {
  long ticks = sysconf(_SC_CLK_TCK);
  return ticks > 0 ? static_cast<double>(ticks) : 100.0;
}

}  // namespace plaza::bench
