#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <vector>

#include "tools/bench/proc_status.h"

using plaza::bench::KibPerItem;
using plaza::bench::ParsePidFile;
using plaza::bench::ParseVmRssKib;
using plaza::bench::PidFileCandidates;
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
