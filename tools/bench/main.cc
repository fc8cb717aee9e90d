// plaza-bench: load scenarios against a local Plaza cluster, `plaza-bench <scenario> [flags]`.
// Each scenario lives in its own <scenario>_scenario.{h,cc}; this table is the only list of them.

#include <iostream>
#include <string_view>

#include "tools/bench/auth_scenario.h"
#include "tools/bench/chat_scenario.h"
#include "tools/bench/connect_scenario.h"
#include "tools/bench/group_scenario.h"
#include "tools/bench/proxy_scenario.h"

namespace {

struct Scenario {
  std::string_view name;
  std::string_view summary;
  int (*run)(int argc, const char* const* argv);
};

constexpr Scenario kScenarios[] = {
    {"auth", "bare gRPC echo vs. the authenticated no-op, and login throughput through identity",
     plaza::bench::RunAuthScenario},
    {"proxy", "AuthenticatedEcho direct to identity vs. through the gateway: the proxy's cost",
     plaza::bench::RunProxyScenario},
    {"connect", "many push streams on the gateway: open time, RSS per stream, event fan-out",
     plaza::bench::RunConnectScenario},
    {"chat", "direct messages end to end through the gateway: delivered/s vs. bare echo, CPU split",
     plaza::bench::RunChatScenario},
    {"group",
     "group messages fanned out to every member's push stream: deliveries/s vs. bare "
     "echo, CPU split, PostgreSQL cost per send",
     plaza::bench::RunGroupScenario},
};

}  // namespace

int main(int argc, char** argv) {
  std::string_view chosen = argc > 1 ? argv[1] : "";
  for (const Scenario& scenario : kScenarios) {
    if (chosen == scenario.name) return scenario.run(argc - 1, argv + 1);
  }
  bool asked = chosen == "--help" || chosen == "-h";
  std::ostream& out = asked ? std::cout : std::cerr;
  if (!asked) out << "plaza-bench: unknown or missing scenario '" << chosen << "'\n";
  out << "usage: plaza-bench <scenario> [--flag=value ...]   (plaza-bench <scenario> --help lists "
         "the flags)\nscenarios:\n";
  for (const Scenario& scenario : kScenarios) {
    out << "  " << scenario.name << "  " << scenario.summary << "\n";
  }
  return asked ? 0 : 2;
}
