#pragma once

// Scenario `group` of plaza-bench: how fast a cluster fans group messages out to the members'
// push streams, end to end, against the bare gRPC rate of the same machine, and what one group
// send costs PostgreSQL.
//
// Setup (not measured): signs up --members users at identity (--identity, SyntheticUsers); the
// first (the owner) befriends the next two through the gateway and creates the group with them
// (GroupsService/CreateGroup needs at least 2 friends), makes an invitation (CreateInvite), and
// every other user joins with it (JoinByInvite), so that the group has --members members (at most
// 500, the group cap). Then every member opens one PushService/Connect stream through the gateway.
//
// Each run then measures, for --seconds (and at most --max-messages sends):
//
//   echo     plaza.echo.v1.EchoService/Echo on an rpc::Server inside the bench (EchoBaseline);
//   send     SendMessage through the gateway to the group's conversation (its id is the group's)
//            by the first --senders members, each with one message in flight end to end: a
//            sender's next message starts once the previous one was acknowledged and read by every
//            member online when it was sent (but the sender), or 10 s after its acknowledgement
//            (the rest count as missed), or, after a failed send, after the gateway's retry hint
//            (else 100 ms). The rate counts acknowledged sends; the latency is send ->
//            acknowledgement;
//   fanout   acknowledged messages read by every online recipient (matched by client_message_id
//            "bench.<run>.<sender>.<n>" on each member's stream), per second of the run; the
//            latency is send start -> the last recipient's read;
//
// and deliveries/s, the (message, recipient) reads per second of the run, and deliveries/echo.
// echo runs first in odd runs and last in even ones; one unreported second of sending precedes
// the first run. As in chat, the CPU time of the processes listening on the ports of --gateway,
// --messaging, --groups, --identity, --pg-url and --redis-url, of the bench and of the machine is
// read around each run's sending.
//
// Around each run's sending it also reads PostgreSQL's statistics (PgProbe, on --pg-url): rows
// written to the tables of schema messaging, transactions committed in the database and, with
// pg_stat_statements, statements run, each after waiting until the row counters stop moving, and
// reports them per acknowledged send, minus what the idle cluster does (measured once for 3 s
// before the runs). Run with --members=10 and --members=500 to see that a group send costs the
// same at any size.
//
// Afterwards it compares the user messages stored in the group's conversation (--pg-url must be
// messaging's database) with the sends acknowledged over all runs, warm-up included.

namespace plaza::bench {

// Runs the scenario. argv[0] is the scenario's name, the rest are flags (--help lists them).
// Prints the report to stdout (a table, or JSON with --json) and progress to stderr. Returns the
// exit code: 0 if it ran and the persisted count matched the acknowledged one, 1 if setup or a
// measurement failed or the counts differ; exits with 2 on bad flags.
int RunGroupScenario(int argc, const char* const* argv);

}  // namespace plaza::bench
