#pragma once

// Scenario `chat` of plaza-bench: how many direct messages a cluster delivers per second, end to
// end, against the bare gRPC rate of the same machine.
//
// Setup (not measured): signs up 2 x --pairs users at identity (--identity, SyntheticUsers), makes
// each pair friends through the gateway (--gateway: a friend request and its acceptance, each
// with the user's own token), opens the pair's direct conversation (OpenDirectConversation
// through the gateway), and opens one PushService/Connect stream per user through the gateway,
// retrying refusals for rate after the gateway's hint.
//
// Each run then measures, for --seconds:
//
//   echo     plaza.echo.v1.EchoService/Echo on an rpc::Server inside the bench (EchoBaseline),
//            on --echo-concurrency threads: the bare rate of a Plaza gRPC call here;
//   send     SendMessage through the gateway: every pair has one send in flight at a time, its
//            two users taking turns (message n goes from user n % 2 to the other), so each user
//            both sends and receives and no conversation has two sends racing for its row; the
//            rate counts acknowledged sends, the latency is send -> acknowledgement;
//   deliver  the acknowledged messages the receiver read as a MessageChanged event on its
//            Connect stream (matched by client_message_id, "bench.<run>.<pair>.<n>"), per second
//            of the run (first send to last delivery); the latency is send start -> delivery.
//
// echo runs first in odd runs and last in even ones. Before the first run the pairs send for one
// second unreported (warm-up). During each run's chat phase it reads /proc for the CPU time of
// the processes listening on the ports of --gateway, --messaging, --identity, --pg-url (with
// every descendant: all PostgreSQL backends) and --redis-url, of the bench itself, and of the
// whole machine, and reports CPU-seconds per second of each (medians over runs).
//
// After the runs it counts the rows of messaging.messages in the bench's conversations (--pg-url
// must be messaging's database) and compares them with the sends acknowledged over all runs,
// warm-up included: every acknowledged message must be stored, and nothing else.
//
// Reports the medians over --runs of each row, deliver/echo (the median of per-run ratios), the
// CPU split, the persisted and acknowledged counts, failures by kind, and whether the targets
// (deliver/echo >= 0.15, deliver p99 <= 50 ms, persisted == acknowledged) were met.

namespace plaza::bench {

// Runs the scenario. argv[0] is the scenario's name, the rest are flags (--help lists them).
// Prints the report to stdout (a table, or JSON with --json) and progress to stderr. Returns the
// exit code: 0 if it ran and the persisted count matched the acknowledged one (rate and latency
// targets are reported, not enforced), 1 if setup or a measurement failed or the counts differ;
// exits with 2 on bad flags.
int RunChatScenario(int argc, const char* const* argv);

}  // namespace plaza::bench
