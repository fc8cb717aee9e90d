#pragma once

// Scenario `connect` of plaza-bench: what push streams cost the gateway, and how fast an event
// reaches all of them.
//
//   1. Opens --streams authenticated plaza.gateway.v1.PushService/Connect streams to the gateway
//      at --gateway, one per synthetic user (distinct user and device; tokens minted here from
//      --token-signing-key, see minted_users.h). The streams use gRPC's callback API, no thread
//      each, over ceil(N / --streams-per-channel) channels of their own TCP connection (the
//      gateway allows 100 concurrent calls per connection). At most --max-in-flight connects
//      wait for their `connected` message at once, and --connect-rate (if set) paces their
//      start. A connect refused with RESOURCE_EXHAUSTED (the gateway's rate limits or overload
//      control) is retried after the gateway's x-plaza-retry-after-ms hint, as a device would,
//      and no other connect starts before that either (the per-IP limit is shared by all of
//      them); and the starts are paced: the gap between them doubles with each refusal of a connect
//      started since the last doubling (at least the hint, at most 1 s) and shrinks by 2% with
//      each success. Every other refusal is final. Reports how long opening took and the failures
//      by code.
//   2. Reads the gateway's resident memory (VmRSS in /proc/<pid>/status, so the gateway must run
//      on this machine) before the first connect and after all streams have been open and idle
//      for --idle-seconds: the difference per open stream, in KiB. The pid is --gateway-pid, or
//      the one in .plaza/cluster/run/gateway.pid (scripts/cluster) found from the working
//      directory or the bench's own path upwards. Without one the report says why.
//   3. --fanouts times: publishes one event to all N users with plaza::events::Publisher on the
//      cluster's Redis (--redis-url), at most events::kMaxUsersPerCall users per call, and times
//      from just before the publish to each stream's arrival: p50, p99 and max (the last
//      stream). Checks that every open stream got each event exactly once.
//   4. Cancels every stream and waits for each to end.
//
// All of it is bounded by --timeout-seconds (closing gets a few seconds more). Client and
// gateway share the machine's cores, so the fan-out times include the client's own reading.

namespace plaza::bench {

// Runs the scenario. argv[0] is the scenario's name, the rest are flags (--help lists them).
// Prints the report to stdout (a table, or JSON with --json) and progress to stderr. Returns the
// exit code: 0 when it ran to the end (failures are in the report), 1 if the gateway or Redis
// cannot be used or no stream opened; exits with 2 on bad flags.
int RunConnectScenario(int argc, const char* const* argv);

}  // namespace plaza::bench
