#pragma once

// Scenario `auth` of plaza-bench: what authentication adds to a call, and how fast identity
// signs users in. Every run measures, for --seconds each and on --concurrency threads:
//
//   echo                plaza.echo.v1.EchoService/Echo on an rpc::Server hosted in this
//                       process (127.0.0.1, free port) without auth: the bare cost of a Plaza
//                       gRPC call, the observability interceptor included.
//   login               SyntheticUsers::SignUp of --users new users against the identity service
//                       at --identity: RequestCode, the code from the dev outbox, Register. Ends
//                       early when --seconds pass.
//   authenticated_echo  AuthenticatedEcho on a second in-process rpc::Server with the real auth
//                       stack: an auth::Verifier for --token-public-keys and
//                       rpc::SessionRevocations on --redis-url (one Redis round trip per call),
//                       with the access tokens the logins just returned, round robin.
//
// and reports the medians over --runs runs, plus the median over runs of the rate ratio
// authenticated_echo/echo. Client, both echo servers and whatever else runs on the machine share
// its cores, so the numbers compare operations with each other on this machine; they are not
// capacity figures. Identity must run in dev_mode with --pg-url as its database (see
// synthetic_users.h, also for the client addresses it presents to identity's rate limits).

namespace plaza::bench {

// Runs the scenario. argv[0] is the scenario's name, the rest are flags (--help lists them).
// Prints the report to stdout (a table, or JSON with --json) and progress to stderr. Returns the
// exit code: 0, 1 if a measurement failed or something it needs is unreachable; exits with 2 on
// bad flags.
int RunAuthScenario(int argc, const char* const* argv);

}  // namespace plaza::bench
