#include "tools/bench/proc_status.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <vector>

using plaza::bench::CpuTicksBetween;
using plaza::bench::KibPerItem;
using plaza::bench::MachineCpu;
using plaza::bench::ParseListeningInodes;
using plaza::bench::ParseMachineCpu;
using plaza::bench::ParsePidFile;
using plaza::bench::ParsePort;
using plaza::bench::ParseProcStat;
using plaza::bench::ParseSocketInode;
using plaza::bench::ParseVmRssKib;
using plaza::bench::PidFileCandidates;
using plaza::bench::ProcessTree;
using plaza::bench::ProcStat;
using Path = std::filesystem::path;

TEST_CASE("ParseVmRssKib reads the VmRSS line of /proc/<pid>/status", "[bench][proc]") {
  const char* status =
      "Name:\tplaza-gateway\n"
      "VmPeak:\t  812344 kB\n"
      "VmRSS:\t   45672 kB\n"
      "RssAnon:\t   30000 kB\n";
  CHECK(ParseVmRssKib(status) == 45672);
  CHECK(ParseVmRssKib("VmRSS: 7 kB") == 7);  // last line without a newline
  CHECK(ParseVmRssKib("VmRSS:\t0 kB\n") == 0);
}

TEST_CASE("ParseVmRssKib refuses text without a well-formed VmRSS line", "[bench][proc]") {
  CHECK_FALSE(ParseVmRssKib(""));
  CHECK_FALSE(ParseVmRssKib("Name:\tkthreadd\nState:\tS (sleeping)\n"));  // kernel thread
  CHECK_FALSE(ParseVmRssKib("VmRSS:\t12 MB\n"));
  CHECK_FALSE(ParseVmRssKib("VmRSS:\tlots kB\n"));
  CHECK_FALSE(ParseVmRssKib("VmRSS:\t-5 kB\n"));
  CHECK_FALSE(ParseVmRssKib("VmRSS:\t\n"));
  CHECK_FALSE(ParseVmRssKib("XVmRSS:\t5 kB\n"));
}

TEST_CASE("ParsePidFile takes a positive int with surrounding whitespace", "[bench][proc]") {
  CHECK(ParsePidFile("4242\n") == 4242);
  CHECK(ParsePidFile("  17 ") == 17);
  CHECK_FALSE(ParsePidFile(""));
  CHECK_FALSE(ParsePidFile("0\n"));
  CHECK_FALSE(ParsePidFile("-3\n"));
  CHECK_FALSE(ParsePidFile("12 34\n"));
  CHECK_FALSE(ParsePidFile("abc"));
  CHECK_FALSE(ParsePidFile("99999999999"));  // beyond int
}

TEST_CASE("PidFileCandidates walks up from the working directory, then from the executable",
          "[bench][proc]") {
  Path relative = ".plaza/cluster/run/gateway.pid";
  auto candidates =
      PidFileCandidates(relative, "/work/main/tools", "/work/main/build/release/plaza-bench");
  std::vector<Path> expected = {
      "/work/main/tools/.plaza/cluster/run/gateway.pid",
      "/work/main/.plaza/cluster/run/gateway.pid",
      "/work/.plaza/cluster/run/gateway.pid",
      "/.plaza/cluster/run/gateway.pid",
      // The executable's ancestors, without the ones already listed.
      "/work/main/build/release/.plaza/cluster/run/gateway.pid",
      "/work/main/build/.plaza/cluster/run/gateway.pid",
  };
  CHECK(candidates == expected);
}

TEST_CASE("PidFileCandidates copes with a trailing slash and no executable", "[bench][proc]") {
  auto candidates = PidFileCandidates("x.pid", "/a/b/", "");
  CHECK(candidates == std::vector<Path>{"/a/b/x.pid", "/a/x.pid", "/x.pid"});
}

TEST_CASE("KibPerItem divides the growth by the items", "[bench][proc]") {
  CHECK(KibPerItem(1000, 151000, 10000) == Approx(15));
  CHECK(KibPerItem(2000, 1000, 100) == Approx(-10));  // memory given back meanwhile
  CHECK(std::isnan(KibPerItem(1000, 2000, 0)));
}

TEST_CASE("ParseProcStat reads ppid, CPU ticks and start after the last parenthesis",
          "[bench][proc]") {
  // Fields after the name: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt
  // utime stime cutime cstime priority nice threads itrealvalue starttime vsize ...
  const char* stat =
      "4242 (plaza) gw (x)) S 17 4242 4242 0 -1 4194560 900 0 0 0 150 50 7 8 20 0 12 0 "
      "987654 812344 4567 18446744073709551615\n";
  auto parsed = ParseProcStat(stat);
  REQUIRE(parsed);
  CHECK(parsed->ppid == 17);
  CHECK(parsed->cpu_ticks == 200);  // utime + stime, not the children's
  CHECK(parsed->start_ticks == 987654);
}

TEST_CASE("ParseProcStat refuses malformed text", "[bench][proc]") {
  CHECK_FALSE(ParseProcStat(""));
  CHECK_FALSE(ParseProcStat("1 (init) S 0 1 1"));                                  // too few fields
  CHECK_FALSE(ParseProcStat("1 init S 0 1 1 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 5"));  // no ')'
  CHECK_FALSE(ParseProcStat("1 (init) S 0 1 1 0 -1 0 0 0 0 0 x 2 0 0 20 0 1 0 5"));
}

TEST_CASE("ProcessTree takes the root and all its descendants", "[bench][proc]") {
  std::map<int, ProcStat> all = {
      {1, {.ppid = 0}},   {10, {.ppid = 1}}, {11, {.ppid = 10}}, {12, {.ppid = 10}},
      {13, {.ppid = 12}}, {20, {.ppid = 1}}, {21, {.ppid = 20}},
  };
  auto tree = ProcessTree(all, 10);
  std::vector<int> pids;
  for (const auto& [pid, stat] : tree) pids.push_back(pid);
  CHECK(pids == std::vector<int>{10, 11, 12, 13});
  CHECK(ProcessTree(all, 21).size() == 1);
  CHECK(ProcessTree(all, 99).empty());
}

TEST_CASE("CpuTicksBetween counts growth, newcomers in full, and leavers not at all",
          "[bench][proc]") {
  std::map<int, ProcStat> before = {
      {1, {.cpu_ticks = 100, .start_ticks = 5}},  // grows by 30
      {2, {.cpu_ticks = 50, .start_ticks = 6}},   // gone
      {3, {.cpu_ticks = 70, .start_ticks = 7}},   // pid reused by a new process
  };
  std::map<int, ProcStat> after = {
      {1, {.cpu_ticks = 130, .start_ticks = 5}},
      {3, {.cpu_ticks = 4, .start_ticks = 900}},
      {4, {.cpu_ticks = 11, .start_ticks = 901}},  // new
  };
  CHECK(CpuTicksBetween(before, after) == 30 + 4 + 11);
  CHECK(CpuTicksBetween(after, after) == 0);
  CHECK(CpuTicksBetween({}, {}) == 0);
}

TEST_CASE("ParseMachineCpu sums the first line without idle and iowait as busy", "[bench][proc]") {
  auto cpu =
      ParseMachineCpu("cpu  100 5 50 1000 20 3 2 1 0 0\ncpu0 50 2 25 500 10 1 1 0 0 0\nintr 1\n");
  REQUIRE(cpu);
  CHECK(cpu->busy_ticks == 100 + 5 + 50 + 3 + 2 + 1);
  CHECK(cpu->total_ticks == 100 + 5 + 50 + 1000 + 20 + 3 + 2 + 1);
  CHECK_FALSE(ParseMachineCpu(""));
  CHECK_FALSE(ParseMachineCpu("cpu0 1 2 3 4 5 6 7 8\n"));
  CHECK_FALSE(ParseMachineCpu("cpu 1 2 3\n"));
}

TEST_CASE("ParseListeningInodes finds the listening sockets of a port", "[bench][proc]") {
  const char* tcp =
      "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
      "timeout inode\n"
      "   0: 0100007F:1D60 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        "
      "0 31337 1 0000000000000000 100 0 0 10 0\n"
      "   1: 0100007F:1D60 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        "
      "0 40000 1 0000000000000000 20 4 30 10 -1\n"
      "   2: 00000000:1DC4 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        "
      "0 31338 1 0000000000000000 100 0 0 10 0\n"
      "garbage\n";
  CHECK(ParseListeningInodes(tcp, 7520) == std::vector<uint64_t>{31337});  // 0x1D60
  CHECK(ParseListeningInodes(tcp, 7620) == std::vector<uint64_t>{31338});  // 0x1DC4
  CHECK(ParseListeningInodes(tcp, 80).empty());
  const char* tcp6 =
      "  sl  local_address                         remote_address                        st "
      "tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
      "   0: 00000000000000000000000001000000:1592 00000000000000000000000000000000:0000 0A "
      "00000000:00000000 00:00000000 00000000   111        0 5555 1 0000000000000000 100 0 0 10 "
      "0\n";
  CHECK(ParseListeningInodes(tcp6, 5522) == std::vector<uint64_t>{5555});
}

TEST_CASE("ParseSocketInode reads socket links only", "[bench][proc]") {
  CHECK(ParseSocketInode("socket:[31337]") == 31337u);
  CHECK_FALSE(ParseSocketInode("pipe:[31337]"));
  CHECK_FALSE(ParseSocketInode("/dev/null"));
  CHECK_FALSE(ParseSocketInode("socket:[]"));
  CHECK_FALSE(ParseSocketInode("socket:[12"));
}

TEST_CASE("ParsePort reads gRPC addresses and URLs", "[bench][proc]") {
  CHECK(ParsePort("127.0.0.1:7000", 0) == 7000);
  CHECK(ParsePort("localhost:7101", 0) == 7101);
  CHECK(ParsePort("[::1]:7102", 0) == 7102);
  CHECK(ParsePort("postgresql://postgres@127.0.0.1:5522/plaza", 5432) == 5522);
  CHECK(ParsePort("postgresql://postgres@127.0.0.1/plaza", 5432) == 5432);
  CHECK(ParsePort("postgresql://u:p@ss@[::1]:6000/db?sslmode=disable", 5432) == 6000);
  CHECK(ParsePort("redis://127.0.0.1:6422", 6379) == 6422);
  CHECK(ParsePort("redis://:secret@host", 6379) == 6379);
  CHECK(ParsePort("redis://127.0.0.1:6422/0", 6379) == 6422);
  CHECK_FALSE(ParsePort("", 1));
  CHECK_FALSE(ParsePort("host:port", 1));
  CHECK_FALSE(ParsePort("host:0", 1));
  CHECK_FALSE(ParsePort("host:65536", 1));
  CHECK_FALSE(ParsePort("redis://", 6379));
}
