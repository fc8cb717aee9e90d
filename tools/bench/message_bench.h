#pragma once

// What the scenarios that send messages through the gateway and read them on push streams
// (chat, group) share: their common flags, the setup steps (sign-ups, steps run for many users),
// the push streams of all users, one SendMessage on the callback API, back-off timers, the CPU
// split by process, the echo baseline around a measurement, and the persisted count. Each piece
// is what both scenarios do the same way; what differs (pairs taking turns vs. senders to a
// group) stays in the scenario.

#include <grpcpp/alarm.h>
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <functional>
#include <iostream>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "plaza/core/config.h"
#include "plaza/gateway/v1/push_service.grpc.pb.h"
#include "plaza/messaging/v1/messaging_service.grpc.pb.h"
#include "plaza/pg/pool.h"
#include "tools/bench/echo_baseline.h"
#include "tools/bench/proc_status.h"
#include "tools/bench/push_stream.h"
#include "tools/bench/report.h"
#include "tools/bench/stats.h"
#include "tools/bench/synthetic_users.h"

namespace plaza::bench {

using BenchClock = std::chrono::steady_clock;

// The gateway allows 100 concurrent calls per connection; stay below.
inline constexpr size_t kCallsPerChannel = 90;
// Unreported sending before the first run: channels, pools and caches warm up.
inline constexpr std::chrono::seconds kSendWarmUp{1};
// After the last read of a run, a little longer for duplicates to show.
inline constexpr std::chrono::milliseconds kDuplicateSettle{200};
// After the last send, how long acknowledged messages may take to reach their readers before
// the missing reads count as missed.
inline constexpr std::chrono::seconds kDeliveryWait{10};

// The flags both scenarios take: gateway, identity, messaging, pg_url, redis_url, seconds, runs,
// channels, echo_concurrency, setup_concurrency, text_bytes, json, log_level. Each scenario adds
// its own.
std::vector<core::ConfigKey> MessageBenchConfigKeys();

// `text_bytes` of a repeated pattern: what every message says.
std::string MessageText(int64_t text_bytes);

// Runs `step(index)` for index 0..count-1 on `concurrency` threads (setup, not measured); OK if
// every step was, else the first failure's code and reason with "<what>: N of count failed;
// first: ...". Bounded by 30 minutes.
absl::Status ForEachIndex(std::string_view what, int64_t count, int concurrency,
                          const std::function<absl::Status(int64_t index)>& step);

// The first steps of a message scenario: PostgreSQL answers (the persisted count needs it),
// `count` channels of their own to the gateway each get a MessagingService stub for the sends,
// and the returned channel reaches identity, for signing users up.
absl::StatusOr<std::shared_ptr<grpc::Channel>> ConnectForSending(
    const core::Config& config, pg::Pool& pg, size_t count,
    std::vector<std::shared_ptr<grpc::Channel>>& channels,
    std::vector<std::unique_ptr<messaging::v1::MessagingService::Stub>>& stubs);

// Signs up `count` users at identity (SyntheticUsers; `pg` is identity's database).
absl::StatusOr<std::vector<SyntheticUser>> SignUpUsers(std::shared_ptr<grpc::Channel> identity,
                                                       pg::Pool& pg, int64_t count,
                                                       int concurrency);

// What PushStreams hands on. Called from gRPC's threads, concurrently for different devices.
class PushSink {
 public:
  virtual ~PushSink() = default;
  // A message_changed event read on `device`'s stream at `at`.
  virtual void OnMessagePushed(size_t device, const plaza::messaging::v1::Message& message,
                               BenchClock::time_point at) = 0;
  // `device`'s stream ended before Close (already counted by PushStreams).
  virtual void OnStreamLost(size_t device) = 0;
};

// One PushService/Connect stream per device (one per user) through the gateway, with the
// device's token; events go to a PushSink. Opening is bounded (kOpenTimeout), at most
// kMaxOpening wait for their `connected` at once, and a refusal for rate is retried after the
// gateway's x-plaza-retry-after-ms, holding every other connect back until then (the limit is per
// client address). Must outlive its streams: Close, and if that fails, do not destroy it.
class PushStreams final : public PushObserver {
 public:
  static constexpr std::chrono::seconds kOpenTimeout{120};
  static constexpr int64_t kMaxOpening = 200;

  explicit PushStreams(PushSink& sink) : sink_(sink) {}

  // Opens device i's stream with authorizations[i] ("Bearer ..."), on ceil(N / kCallsPerChannel)
  // channels of their own TCP connection, numbered from `first_channel` (see ConnectOwn). Fails
  // if a connect is refused for another reason than rate, or not all are open in time.
  absl::Status Open(const std::string& gateway, int first_channel,
                    std::vector<std::string> authorizations);

  // Cancels every stream and waits (bounded) for all to end; false if some did not, and then the
  // object must not be destroyed: their callbacks may still come.
  bool Close();

  size_t channels() const { return stubs_.size(); }

  // Retries, early ends, other events, heartbeats and resyncs, as report counts.
  void AddCounts(Report& report) const;

  // PushObserver.
  void OnPushConnected(PushStream& stream, BenchClock::time_point at) override;
  void OnPushEvent(PushStream& stream, const plaza::events::v1::Event& event,
                   BenchClock::time_point at) override;
  void OnPushOther(PushStream& stream, plaza::gateway::v1::ConnectResponse::KindCase kind) override;
  void OnPushDone(PushStream& stream, const absl::Status& status,
                  std::chrono::milliseconds retry_after) override;

 private:
  PushSink& sink_;
  std::vector<std::string> authorizations_;
  std::vector<std::shared_ptr<grpc::Channel>> channels_;
  std::vector<std::unique_ptr<plaza::gateway::v1::PushService::Stub>> stubs_;

  std::mutex mutex_;
  std::vector<std::unique_ptr<PushStream>> attempts_;  // every attempt, until the end
  std::deque<size_t> to_open_;
  int64_t opening_ = 0;
  int64_t connected_ = 0;
  BenchClock::time_point pause_until_;
  absl::Status open_failure_;
  std::atomic<int64_t> ended_{0};
  std::atomic<bool> closing_{false};
  Tally open_retries_;
  Tally ended_early_;
  std::atomic<int64_t> other_events_{0};
  std::atomic<int64_t> heartbeats_{0};
  std::atomic<int64_t> resyncs_{0};
};

// One SendMessage with a text on the callback API. `done` gets OK only for an acknowledgement of
// this very message (same conversation and client id) as new; an acknowledgement for another
// message is INTERNAL WRONG_ACK, one as a duplicate ALREADY_EXISTS DUPLICATE (stored by an earlier
// send: not a new message). `retry_after` is the gateway's hint after RESOURCE_EXHAUSTED, else
// `kFailureBackOff`: how long a client waits before sending again.
inline constexpr std::chrono::milliseconds kFailureBackOff{100};
using SendDone =
    std::function<void(const absl::Status& status, std::chrono::milliseconds retry_after)>;
void SendText(plaza::messaging::v1::MessagingService::Stub& stub, const std::string& authorization,
              int64_t conversation_id, std::string client_message_id, const std::string& text,
              SendDone done);

// Callbacks to run later on gRPC's threads (back-off after a failed send). Every alarm is kept
// until the Timers object goes, so none is destroyed while it may still fire.
class Timers {
 public:
  void After(std::chrono::milliseconds wait, std::function<void()> callback);

 private:
  std::mutex mutex_;
  std::vector<std::unique_ptr<grpc::Alarm>> alarms_;
};

// CPU-seconds per second of each watched process (with its descendants), and of the machine.
struct CpuShares {
  std::map<std::string, double> cores;  // by name; NaN if not measured
  double machine_busy = std::numeric_limits<double>::quiet_NaN();
};

// Every process's CPU time at one moment.
struct CpuReading {
  BenchClock::time_point at;
  std::map<int, ProcStat> all;
  std::optional<MachineCpu> machine;

  static CpuReading Now();
};

// A process to watch, found by the TCP port of `address` ("host:port" or a URL; a URL without a
// port has `default_port`).
struct CpuTarget {
  std::string name;
  std::string address;
  int default_port = 0;
};

// The gateway, the named Plaza services (their --<name> address flags), PostgreSQL and Redis.
std::vector<CpuTarget> PlazaProcesses(const core::Config& config,
                                      const std::vector<std::string>& services);

// The processes whose CPU time a scenario reports, found once by the ports they listen on, plus
// the bench itself ("bench").
class CpuSplit {
 public:
  // Finds each target's process (printing which pid it is to stderr).
  void Find(const std::vector<CpuTarget>& targets);

  CpuShares Between(const CpuReading& before, const CpuReading& after) const;

  // "gateway 0.91 messaging 0.40 ... machine 1.98", for a progress line.
  std::string Line(const CpuShares& shares) const;

  // cpu_<name>_cores (median over `runs`) for each process, cpu_machine_busy_cores, and a note
  // for each process not found.
  void AddFigures(Report& report, const std::vector<CpuShares>& runs) const;

 private:
  struct Watched {
    std::string name;
    int root = 0;  // 0: not found; `why_not` says why
    std::string why_not;
  };
  std::vector<Watched> watched_;
};

// Measures `echo` with `concurrency` calls in flight for `seconds` (EchoBaseline's callback
// API) before `body` in odd runs and after it in even ones, so that neither always goes first.
absl::StatusOr<Summary> MeasureWithEcho(EchoBaseline& echo, int64_t run, int concurrency,
                                        std::chrono::seconds seconds,
                                        const std::function<void()>& body);

// The median over runs of a figure, NaN if any run lacks it.
double MedianOf(const std::vector<double>& values);

// Rows of messaging.messages from users (not system notices, sender 0) in `conversation_ids`.
absl::StatusOr<int64_t> CountUserMessages(pg::Pool& pg,
                                          const std::vector<int64_t>& conversation_ids);

// Adds the counts "acknowledged (all runs and warm-up)" and "persisted" (if known) and the note
// on persisted == acknowledged to `report`, and returns the exit code: 0 if they are equal, 1 if
// not or unknown.
int CheckPersisted(Report& report, const absl::StatusOr<int64_t>& persisted, int64_t acknowledged);

// Sets up and warms up `bench`, then returns the exit code of `measure()`. Push streams still
// open call back into the bench until they end, so they are closed on every way out; if they will
// not end, the process leaves without destroying the bench.
template <typename Bench, typename Measure>
int RunMessageBench(std::string_view scenario, Bench& bench, Measure measure) {
  auto finish = [&](int exit_code) {
    if (!bench.Close()) {
      std::cerr << "plaza-bench " << scenario << ": some push streams or sends did not end\n";
      std::_Exit(exit_code == 0 ? 1 : exit_code);
    }
    return exit_code;
  };
  if (auto setup = bench.Setup(); !setup.ok()) {
    std::cerr << "plaza-bench " << scenario << ": setup: " << setup.ToString() << "\n";
    return finish(1);
  }
  if (auto warm = bench.WarmUp(); !warm.ok()) {
    std::cerr << "plaza-bench " << scenario << ": " << warm.ToString() << "\n";
    return finish(1);
  }
  return finish(measure());
}

}  // namespace plaza::bench
