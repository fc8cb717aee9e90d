#pragma once

// Scenario `proxy` of plaza-bench: what the gateway adds to a call. Each run measures, for
// --seconds each and with --concurrency calls in flight,
//
//   direct   plaza.echo.v1.EchoService/AuthenticatedEcho (a small payload) on the identity
//            service at --identity, which serves the echo service too;
//   gateway  the same call to the gateway at --gateway, which checks the token and the rate
//            limits and proxies it to identity (its `echo` route);
//
// from the same client in the same process, alternating which target goes first from run to
// run. Each target gets --channels channels, each on its own TCP connection, so that neither
// side is held back by one HTTP/2 connection. The callers are --users synthetic users whose
// tokens are minted here from --token-signing-key (minted_users.h), taken round robin, so no
// user comes near the gateway's per-user limit (50/s by default) at the rates one machine
// reaches.
//
// Reports per target the medians over --runs of calls/s, p50 and p99, and the failures by
// status code and reason; then gateway/direct, the median of the per-run throughput ratios,
// and gateway_added_p50_ms, the gateway's median p50 minus the direct one. It says whether the
// targets (at least 0.60 of the direct rate, at most 1 ms more at p50) were met; it does not
// fail when they are not.

namespace plaza::bench {

// Runs the scenario. argv[0] is the scenario's name, the rest are flags (--help lists them).
// Prints the report to stdout (a table, or JSON with --json) and progress to stderr. Returns the
// exit code: 0, 1 if a measurement failed or a target is unreachable; exits with 2 on bad flags.
int RunProxyScenario(int argc, const char* const* argv);

}  // namespace plaza::bench
