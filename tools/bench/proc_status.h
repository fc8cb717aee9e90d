#pragma once

// Reading another process's memory from Linux's /proc, for scenarios that report what the
// server under test costs (plaza-bench connect: the gateway's RSS per stream). The parsing is
// pure and unit-tested in tests/proc_status_test.cc; the readers below do the I/O.

#include <cstdint>
#include <filesystem>
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

// The process's RSS in KiB now, or nullopt (no such process, no permission, no VmRSS line).
std::optional<int64_t> ReadRssKib(int pid);

// The process's name (/proc/<pid>/comm without the newline), "" if it cannot be read.
std::string ProcessName(int pid);

}  // namespace plaza::bench
