#pragma once

// Reading other processes' memory and CPU time from Linux's /proc, for scenarios that report
// what the servers under test cost (plaza-bench connect: the gateway's RSS per stream; chat: the
// CPU each process spends). The parsing is pure and unit-tested in tests/proc_status_test.cc;
// the readers at the end do the I/O.

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace plaza::bench {

// The resident set size in KiB from the text of /proc/<pid>/status: its "VmRSS:  1234 kB" line.
// nullopt if there is no such line or it is not a number of kB (kernel threads have none).
std::optional<int64_t> ParseVmRssKib(std::string_view status_text);

// The pid in a pid file: a positive decimal that fits an int, surrounded by optional whitespace.
std::optional<int> ParsePidFile(std::string_view text);

// Where a pid file that lives at `relative` under the repository root may be: under `cwd` and
// each of its parents, then under the directory of `executable` (a build tree inside the
// repository) and each of its parents; nearest first, without repeats. Pure path arithmetic:
// nothing is looked up.
std::vector<std::filesystem::path> PidFileCandidates(const std::filesystem::path& relative,
                                                     const std::filesystem::path& cwd,
                                                     const std::filesystem::path& executable);

// How much memory one item costs, in KiB: (after - before) / items, NaN if `items` is not
// positive. May be negative when the process gave memory back meanwhile.
double KibPerItem(int64_t before_kib, int64_t after_kib, int64_t items);

// What /proc/<pid>/stat says about a process's CPU time and place in the process tree.
struct ProcStat {
  int ppid = 0;
  int64_t cpu_ticks = 0;    // utime + stime of all its threads, in clock ticks (ClockTicks())
  int64_t start_ticks = 0;  // when it started, in ticks after boot: tells a reused pid apart
};

// Parses the text of /proc/<pid>/stat ("pid (comm) state ppid ..."; comm may hold spaces and
// parentheses, so the fields are counted from the last ')'). nullopt if it is malformed.
std::optional<ProcStat> ParseProcStat(std::string_view stat_text);

// `root` and every process descending from it (by ppid), with their readings, out of `all`
// (pid -> reading, e.g. ReadAllProcStats()). Empty if `root` is not in `all`.
std::map<int, ProcStat> ProcessTree(const std::map<int, ProcStat>& all, int root);

// CPU ticks spent between two readings of a group of processes (pid -> reading): a process in
// both readings with the same start counts its increase; one only in `after`, or whose pid was
// reused, counts all its ticks (it started in between); one only in `before` counts nothing, as
// what it spent after the first reading is unknown.
int64_t CpuTicksBetween(const std::map<int, ProcStat>& before,
                        const std::map<int, ProcStat>& after);

// The whole machine's CPU time from the first line of /proc/stat ("cpu  user nice system idle
// iowait irq softirq steal ..."), in ticks: busy is everything but idle and iowait.
struct MachineCpu {
  int64_t busy_ticks = 0;
  int64_t total_ticks = 0;
};
std::optional<MachineCpu> ParseMachineCpu(std::string_view proc_stat_text);

// The inodes of the TCP sockets in state LISTEN on local port `port`, from the text of
// /proc/net/tcp or /proc/net/tcp6 (header line, then "sl local_address rem_address st ... inode
// ...", addresses as hex "ADDR:PORT"). Malformed lines are skipped.
std::vector<uint64_t> ParseListeningInodes(std::string_view net_tcp_text, int port);

// The inode of a socket from the target of a /proc/<pid>/fd/<n> link, "socket:[12345]";
// nullopt for anything else (files, pipes).
std::optional<uint64_t> ParseSocketInode(std::string_view link_target);

// The TCP port of a gRPC address "host:port" ("[::1]:7000" too) or of a URL's authority
// ("postgresql://user@host:5432/plaza?x=y", "redis://:secret@host:6379/0"), or
// `default_port` for a URL that names none. nullopt if there is no valid port (1..65535).
std::optional<int> ParsePort(std::string_view address, int default_port);

// The process's RSS in KiB now, or nullopt (no such process, no permission, no VmRSS line).
std::optional<int64_t> ReadRssKib(int pid);

// The process's name (/proc/<pid>/comm without the newline), "" if it cannot be read.
std::string ProcessName(int pid);

// The process's /proc/<pid>/stat, or nullopt (no such process).
std::optional<ProcStat> ReadProcStat(int pid);

// Every process's /proc/<pid>/stat that could be read: one pass over /proc.
std::map<int, ProcStat> ReadAllProcStats();

// The process on this machine with a TCP socket listening on `port` (IPv4 or IPv6), or nullopt:
// none, or not visible to this user. Scans /proc/net/tcp{,6} and every process's descriptors.
std::optional<int> PidListeningOn(int port);

// The machine's CPU time now (/proc/stat), or nullopt.
std::optional<MachineCpu> ReadMachineCpu();

// Clock ticks per second, the unit of ProcStat and MachineCpu (sysconf(_SC_CLK_TCK)).
double ClockTicks();

}  // namespace plaza::bench
