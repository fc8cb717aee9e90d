#include "tools/bench/connect_scenario.h"

#include <grpcpp/grpcpp.h>
#include <spdlog/fmt/fmt.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <queue>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "plaza/core/config.h"
#include "plaza/core/logging.h"
#include "plaza/core/status.h"
#include "plaza/events/publisher.h"
#include "plaza/events/routes.h"
#include "plaza/gateway/v1/push_service.grpc.pb.h"
#include "plaza/redis/redis.h"
#include "tools/bench/client.h"
#include "tools/bench/minted_users.h"
#include "tools/bench/proc_status.h"
#include "tools/bench/push_stream.h"
#include "tools/bench/report.h"

namespace plaza::bench {
namespace {

namespace gateway_v1 = plaza::gateway::v1;
using Clock = std::chrono::steady_clock;
using gateway_v1::ConnectResponse;

// The longest gap refusals push the connects apart.
constexpr std::chrono::seconds kMaxPace{1};
// scripts/cluster's pid file of the gateway, relative to the repository root.
constexpr const char* kPidFile = ".plaza/cluster/run/gateway.pid";
constexpr std::string_view kGatewayProcess = "plaza-gateway";
// How long one fan-out may take before the streams still waiting count as misses.
constexpr std::chrono::seconds kFanoutWait{30};
// After the last fan-out, time for late or duplicate deliveries to show before counting.
constexpr std::chrono::milliseconds kSettle{500};
// Closing may run this far past --timeout-seconds.
constexpr std::chrono::seconds kCloseGrace{10};

std::vector<core::ConfigKey> ConnectConfigKeys() {
  using core::ConfigType;
  return {
      {.name = "gateway", .default_value = "127.0.0.1:7000", .help = "gRPC address of the gateway"},
      {.name = "token_signing_key",
       .help = "the cluster's access-token signing key '<kid>:<base64 seed>' "
               "(PLAZA_TOKEN_SIGNING_KEY in .plaza/cluster/keys.env), to mint the users' tokens",
       .secret = true},
      {.name = "redis_url",
       .default_value = "redis://127.0.0.1:7379",
       .help = "the cluster's Redis, where the events are published",
       .secret = true},
      {.name = "streams",
       .type = ConfigType::kInt,
       .default_value = "10000",
       .help = "Connect streams to open, one per synthetic user",
       .min = 1,
       .max = 1'000'000},
      {.name = "streams_per_channel",
       .type = ConfigType::kInt,
       .default_value = "90",
       .help = "streams per channel (TCP connection); the gateway allows 100 calls per connection",
       .min = 1,
       .max = 10'000},
      {.name = "max_in_flight",
       .type = ConfigType::kInt,
       .default_value = "500",
       .help = "connects waiting for their `connected` message at once",
       .min = 1,
       .max = 100'000},
      {.name = "connect_rate",
       .type = ConfigType::kInt,
       .default_value = "0",
       .help = "connects started per second at most; 0 paces only by --max-in-flight",
       .min = 0,
       .max = 1'000'000},
      {.name = "gateway_pid",
       .type = ConfigType::kInt,
       .default_value = "0",
       .help = "the gateway's pid, for its RSS; 0 reads .plaza/cluster/run/gateway.pid",
       .min = 0,
       .max = 1 << 30},
      {.name = "idle_seconds",
       .type = ConfigType::kInt,
       .default_value = "2",
       .help = "how long the open streams stay idle before the RSS is read",
       .min = 0,
       .max = 600},
      {.name = "fanouts",
       .type = ConfigType::kInt,
       .default_value = "3",
       .help = "events published to every user, one after the other; the report shows medians",
       .min = 0,
       .max = 100},
      {.name = "timeout_seconds",
       .type = ConfigType::kInt,
       .default_value = "300",
       .help = "bound on the whole scenario (closing may take a few seconds more)",
       .min = 5,
       .max = 86'400},
      {.name = "json",
       .type = ConfigType::kBool,
       .default_value = "false",
       .help = "print the report as JSON"},
      {.name = "log_level", .default_value = "warn", .help = "trace|debug|info|warn|error"},
  };
}

// The gateway process whose memory is read, or why there is none.
struct GatewayProcess {
  int pid = 0;  // 0: none
  std::string why_not;
};

GatewayProcess FindGateway(int64_t flag_pid) {
  if (flag_pid > 0) {
    int pid = static_cast<int>(flag_pid);
    if (!ReadRssKib(pid)) {
      return {.why_not = fmt::format("--gateway-pid {}: no readable /proc/{}/status", pid, pid)};
    }
    return {.pid = pid};
  }
  std::error_code error;
  std::filesystem::path cwd = std::filesystem::current_path(error);
  std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", error);
  for (const auto& candidate : PidFileCandidates(kPidFile, cwd, exe)) {
    std::ifstream in(candidate);
    if (!in) continue;
    std::stringstream text;
    text << in.rdbuf();
    auto pid = ParsePidFile(text.str());
    if (!pid) return {.why_not = candidate.string() + " holds no pid"};
    if (ProcessName(*pid) != kGatewayProcess) {
      return {.why_not = fmt::format("pid {} from {} is not a running {}", *pid, candidate.string(),
                                     kGatewayProcess)};
    }
    if (!ReadRssKib(*pid)) {
      return {.why_not = fmt::format("no readable /proc/{}/status", *pid)};
    }
    return {.pid = *pid};
  }
  return {.why_not = std::string("no --gateway-pid and no ") + kPidFile +
                     " above the working directory or the bench"};
}

// What one device's stream saw. Written by its callbacks, read by the main thread.
struct Device {
  mutable std::mutex mutex;
  bool connected = false;
  double connect_ms = 0;
  // Every event received: its id and when.
  std::vector<std::pair<int64_t, Clock::time_point>> events;
};

// One published event.
struct Fanout {
  int64_t event_id = 0;
  Clock::time_point published;  // just before the first Publish call
  double publish_ms = 0;        // how long the Publish calls took
  int64_t offline = 0;          // users Publish found without a live route
};

class ConnectBench final : public PushObserver {
 public:
  ConnectBench(const core::Config& config, std::vector<MintedUser> users)
      : target_(config.String("gateway")),
        per_channel_(static_cast<size_t>(config.Int("streams_per_channel"))),
        max_in_flight_(config.Int("max_in_flight")),
        connect_rate_(config.Int("connect_rate")),
        idle_(std::chrono::seconds(config.Int("idle_seconds"))),
        fanouts_(config.Int("fanouts")),
        deadline_(Clock::now() + std::chrono::seconds(config.Int("timeout_seconds"))),
        users_(std::move(users)),
        devices_(users_.size()),
        redis_({.url = config.String("redis_url"),
                .max_connections = 2,
                .command_timeout = std::chrono::seconds(10)}),
        publisher_(redis_),
        gateway_(FindGateway(config.Int("gateway_pid"))) {}

  // Checks Redis, reads the RSS baseline and connects the channels.
  absl::Status Start() {
    if (auto ping = redis_.Ping(); !ping.ok()) {
      return Unavailable("REDIS_UNREACHABLE",
                         "Redis at --redis-url: " + std::string(ping.message()));
    }
    if (gateway_.pid != 0) rss_before_kib_ = ReadRssKib(gateway_.pid);
    size_t channels = (users_.size() + per_channel_ - 1) / per_channel_;
    for (size_t i = 0; i < channels; ++i) {
      PLAZA_ASSIGN_OR_RETURN(auto channel, ConnectOwn(target_, static_cast<int>(i)));
      stubs_.push_back(gateway_v1::PushService::NewStub(channel));
      channels_.push_back(std::move(channel));
    }
    return absl::OkStatus();
  }

  // Opens every stream until all are open or failed for good, or the deadline. A refusal for
  // rate is retried after its hint, holds back every other start until then too, and paces the
  // starts after it to one per hint, a gap that shrinks with each success.
  void Open() {
    std::deque<size_t> fresh;
    for (size_t i = 0; i < users_.size(); ++i) fresh.push_back(i);
    const auto interval =
        connect_rate_ > 0
            ? std::chrono::duration_cast<Clock::duration>(
                  std::chrono::duration<double>(1.0 / static_cast<double>(connect_rate_)))
            : Clock::duration::zero();
    open_started_ = Clock::now();
    Clock::time_point last_start = open_started_;
    const auto total = static_cast<int64_t>(users_.size());
    while (true) {
      size_t device = 0;
      Clock::duration gap{};
      {
        std::unique_lock lock(mutex_);
        bool chosen = false;
        while (!chosen) {
          if (opened_ + open_failed_ == total) return;
          auto now = Clock::now();
          if (now >= deadline_) return;
          Clock::time_point wake = deadline_;
          if (now < pause_until_) {
            wake = std::min(wake, pause_until_);
          } else if (in_flight_ < max_in_flight_) {
            if (!retries_.empty() && retries_.top().first <= now) {
              device = retries_.top().second;
              retries_.pop();
              chosen = true;
              continue;
            }
            if (!fresh.empty()) {
              device = fresh.front();
              fresh.pop_front();
              chosen = true;
              continue;
            }
            if (!retries_.empty()) wake = std::min(wake, retries_.top().first);
          }
          changed_.wait_until(lock, wake);
        }
        ++in_flight_;
        gap = std::max(interval, pace_);
      }
      if (gap > Clock::duration::zero()) std::this_thread::sleep_until(last_start + gap);
      last_start = Clock::now();
      attempts_.push_back(std::make_unique<PushStream>(*this, device));
      attempts_.back()->Start(*stubs_[device / per_channel_], users_[device].authorization);
    }
  }

  // Waits --idle-seconds (within the deadline) and reads the gateway's RSS.
  void Idle() {
    std::this_thread::sleep_until(std::min(deadline_, Clock::now() + idle_));
    if (gateway_.pid != 0) rss_after_kib_ = ReadRssKib(gateway_.pid);
  }

  // Publishes the events, one at a time, each once every open stream has it (or kFanoutWait).
  absl::Status FanOut() {
    std::vector<int64_t> user_ids;
    user_ids.reserve(users_.size());
    for (const MintedUser& user : users_) user_ids.push_back(user.user_id);
    // Unique and time-ordered, as Event asks: Unix microseconds, one apart.
    const int64_t first_id = std::chrono::duration_cast<std::chrono::microseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count();
    for (int64_t f = 0; f < fanouts_ && Clock::now() < deadline_; ++f) {
      Fanout fanout{.event_id = first_id + f};
      plaza::events::v1::Event event;
      event.set_event_id(fanout.event_id);
      auto now = std::chrono::system_clock::now().time_since_epoch();
      event.mutable_time()->set_seconds(
          std::chrono::duration_cast<std::chrono::seconds>(now).count());
      event.mutable_time()->set_nanos(static_cast<int32_t>(
          std::chrono::duration_cast<std::chrono::nanoseconds>(now).count() % 1'000'000'000));
      const int64_t expected = opened_now();
      arrived_.store(0);
      current_event_.store(fanout.event_id);
      fanout.published = Clock::now();
      for (size_t begin = 0; begin < user_ids.size(); begin += events::kMaxUsersPerCall) {
        size_t end = std::min(user_ids.size(), begin + events::kMaxUsersPerCall);
        std::vector<int64_t> batch(user_ids.begin() + static_cast<ptrdiff_t>(begin),
                                   user_ids.begin() + static_cast<ptrdiff_t>(end));
        PLAZA_ASSIGN_OR_RETURN(auto offline, publisher_.Publish(event, batch));
        fanout.offline += static_cast<int64_t>(offline.size());
      }
      fanout.publish_ms = Millis(Clock::now() - fanout.published);
      fanouts_done_.push_back(fanout);
      auto give_up = std::min(deadline_, fanout.published + kFanoutWait);
      while (arrived_.load() < expected && Clock::now() < give_up) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      std::cerr << fmt::format("fan-out {}/{}: {} of {} streams got the event in {:.1f} ms\n",
                               f + 1, fanouts_, arrived_.load(), expected,
                               Millis(Clock::now() - fanout.published));
    }
    std::this_thread::sleep_for(kSettle);
    return absl::OkStatus();
  }

  // Cancels every call and waits (bounded) for all of them to end; false if some did not, and
  // then the bench must not be destroyed: their callbacks may still come.
  bool Close() {
    closing_.store(true);
    auto started = Clock::now();
    for (auto& attempt : attempts_) attempt->Cancel();
    auto give_up = std::max(deadline_, started) + kCloseGrace;
    std::unique_lock lock(mutex_);
    bool all = changed_.wait_until(
        lock, give_up, [&] { return ended_.load() == static_cast<int64_t>(attempts_.size()); });
    close_seconds_ = std::chrono::duration<double>(Clock::now() - started).count();
    return all;
  }

  // Callbacks.
  void OnPushConnected(PushStream& stream, Clock::time_point at) override {
    const size_t device = stream.device();
    const Clock::duration latency = at - stream.started();
    {
      std::lock_guard lock(devices_[device].mutex);
      devices_[device].connected = true;
      devices_[device].connect_ms = Millis(latency);
    }
    std::lock_guard lock(mutex_);
    --in_flight_;
    ++opened_;
    pace_ -= pace_ / 50;
    last_opened_ = Clock::now();
    changed_.notify_all();
  }

  void OnPushEvent(PushStream& stream, const plaza::events::v1::Event& event,
                   Clock::time_point at) override {
    const size_t device = stream.device();
    const int64_t event_id = event.event_id();
    bool first = false;
    {
      std::lock_guard lock(devices_[device].mutex);
      auto& seen = devices_[device].events;
      first = std::none_of(seen.begin(), seen.end(),
                           [&](const auto& entry) { return entry.first == event_id; });
      seen.emplace_back(event_id, at);
    }
    if (first && event_id == current_event_.load()) arrived_.fetch_add(1);
  }

  void OnPushOther(PushStream&, ConnectResponse::KindCase kind) override {
    if (kind == ConnectResponse::kHeartbeat) heartbeats_.fetch_add(1);
    if (kind == ConnectResponse::kResync) resyncs_.fetch_add(1);
    if (kind == ConnectResponse::kConnected) repeated_connected_.fetch_add(1);
    if (kind == ConnectResponse::KIND_NOT_SET) unknown_messages_.fetch_add(1);
  }

  void OnPushDone(PushStream& attempt, const absl::Status& status,
                  std::chrono::milliseconds retry_after) override {
    std::lock_guard lock(mutex_);
    if (!attempt.connected()) {
      --in_flight_;
      bool retry = status.code() == absl::StatusCode::kResourceExhausted && !closing_.load() &&
                   Clock::now() + retry_after < deadline_;
      if (retry) {
        open_retries_.Add(FailureKind(status));
        auto when = Clock::now() + retry_after;
        retries_.emplace(when, attempt.device());
        // The gateway's limits are per client address, shared by every device here: no connect
        // starts before the hint, or the bench would only collect refusals meanwhile.
        pause_until_ = std::max(pause_until_, when);
        // Then the starts are paced: the gap between them doubles with each refusal of a
        // connect started since the last doubling (at least the hint) and shrinks by 2% with
        // each success, so the bench settles near the rate the limit allows instead of
        // collecting refusals.
        Clock::duration floor = std::max<Clock::duration>(pace_, retry_after);
        if (attempt.started() >= paced_at_) {
          floor = std::max<Clock::duration>(floor, 2 * pace_);
          paced_at_ = Clock::now();
        }
        pace_ = std::min<Clock::duration>(floor, kMaxPace);
      } else {
        ++open_failed_;
        open_failures_.Add(closing_.load() ? "not open before --timeout-seconds"
                                           : FailureKind(status));
      }
    } else if (!closing_.load()) {
      ++ended_early_;
      dropped_.Add(FailureKind(status));
    }
    ended_.fetch_add(1);
    changed_.notify_all();
  }

  // The report, once everything is done.
  Report Build(const core::Config& config, bool closed) const {
    std::lock_guard bench_lock(mutex_);
    Report report{.scenario = "connect",
                  .parameters = {{"streams", static_cast<int64_t>(users_.size())},
                                 {"channels", static_cast<int64_t>(channels_.size())},
                                 {"max_in_flight", max_in_flight_},
                                 {"connect_rate", connect_rate_},
                                 {"fanouts", fanouts_},
                                 {"timeout_seconds", config.Int("timeout_seconds")}}};
    // Opening.
    std::vector<double> connect_ms;
    for (const Device& device : devices_) {
      std::lock_guard lock(device.mutex);
      if (device.connected) connect_ms.push_back(device.connect_ms);
    }
    double open_seconds = std::numeric_limits<double>::quiet_NaN();
    Summary connect{.errors = open_failed_};
    if (!connect_ms.empty()) {
      open_seconds = std::chrono::duration<double>(last_opened_ - open_started_).count();
      connect = Summarize(connect_ms, open_failed_, std::max(open_seconds, 1e-9));
    }
    report.operations.emplace_back("connect", connect);

    // Fan-outs: who got which event, when, how often.
    std::vector<Summary> fanout_runs;
    std::vector<double> max_ms, publish_ms;
    int64_t misses = 0, duplicates = 0, unexpected = 0, offline = 0;
    for (const Fanout& fanout : fanouts_done_) {
      std::vector<double> arrivals;
      int64_t expected = 0;
      for (const Device& device : devices_) {
        std::lock_guard lock(device.mutex);
        if (!device.connected) continue;
        ++expected;
        int64_t copies = 0;
        for (const auto& [id, at] : device.events) {
          if (id != fanout.event_id) continue;
          if (copies++ == 0) arrivals.push_back(Millis(at - fanout.published));
        }
        duplicates += std::max<int64_t>(0, copies - 1);
      }
      Arrivals summary = SummarizeArrivals(arrivals, expected);
      misses += summary.missed;
      offline += fanout.offline;
      fanout_runs.push_back(
          {.per_second = summary.max_ms > 0
                             ? static_cast<double>(summary.received) / (summary.max_ms / 1000)
                             : 0,
           .p50_ms = summary.p50_ms,
           .p99_ms = summary.p99_ms,
           .errors = summary.missed});
      max_ms.push_back(summary.max_ms);
      publish_ms.push_back(fanout.publish_ms);
    }
    for (const Device& device : devices_) {
      std::lock_guard lock(device.mutex);
      for (const auto& event : device.events) {
        bool ours =
            std::any_of(fanouts_done_.begin(), fanouts_done_.end(),
                        [&](const Fanout& fanout) { return fanout.event_id == event.first; });
        if (!ours) ++unexpected;
      }
    }
    if (!fanout_runs.empty()) {
      Summary fanout = MedianOfRuns(fanout_runs);
      fanout.errors += duplicates;
      report.operations.emplace_back("fanout", fanout);
    }

    // Memory.
    const int64_t open_streams = opened_ - ended_early_;
    report.figures.emplace_back("open_seconds", open_seconds);
    if (rss_before_kib_ && rss_after_kib_) {
      report.figures.emplace_back("rss_before_kib", static_cast<double>(*rss_before_kib_));
      report.figures.emplace_back("rss_after_kib", static_cast<double>(*rss_after_kib_));
      report.figures.emplace_back("rss_per_stream_kib",
                                  KibPerItem(*rss_before_kib_, *rss_after_kib_, open_streams));
    } else {
      report.figures.emplace_back("rss_per_stream_kib", std::numeric_limits<double>::quiet_NaN());
      report.notes.push_back(
          "gateway RSS not measured: " +
          (gateway_.pid == 0 ? gateway_.why_not : fmt::format("pid {} vanished", gateway_.pid)));
    }
    if (!fanout_runs.empty()) {
      report.figures.emplace_back("fanout_max_ms", Median(max_ms));
      report.figures.emplace_back("publish_ms", Median(publish_ms));
    }
    report.figures.emplace_back("close_seconds", close_seconds_);

    // Counts: what opened, what went wrong.
    report.counts.emplace_back("open streams", opened_);
    for (const auto& [kind, count] : open_failures_.Sorted()) {
      report.counts.emplace_back("open failed " + kind, count);
    }
    for (const auto& [kind, count] : open_retries_.Sorted()) {
      report.counts.emplace_back("open retried " + kind, count);
    }
    for (const auto& [kind, count] : dropped_.Sorted()) {
      report.counts.emplace_back("ended early " + kind, count);
    }
    if (!fanouts_done_.empty()) {
      report.counts.emplace_back("fanout misses", misses);
      report.counts.emplace_back("fanout duplicates", duplicates);
      if (unexpected > 0) report.counts.emplace_back("unexpected events", unexpected);
      if (offline > 0) report.counts.emplace_back("offline at publish", offline);
    }
    if (heartbeats_ > 0) report.counts.emplace_back("heartbeats", heartbeats_.load());
    if (resyncs_ > 0) report.counts.emplace_back("resyncs", resyncs_.load());
    if (repeated_connected_ > 0) {
      report.counts.emplace_back("connected again", repeated_connected_.load());
    }
    if (unknown_messages_ > 0) report.counts.emplace_back("unknown messages", unknown_messages_);
    if (!closed) {
      report.notes.push_back(fmt::format("{} of {} calls had not ended {} s after the timeout",
                                         static_cast<int64_t>(attempts_.size()) - ended_.load(),
                                         attempts_.size(), kCloseGrace.count()));
    }
    if (opened_ == 0 && fanouts_ > 0) {
      report.notes.emplace_back("no fan-out: no stream opened");
    } else if (static_cast<int64_t>(fanouts_done_.size()) < fanouts_) {
      report.notes.push_back(fmt::format("only {} of {} fan-outs ran before --timeout-seconds",
                                         fanouts_done_.size(), fanouts_));
    }
    report.notes.push_back(fmt::format(
        "target rss_per_stream_kib <= 20: {}",
        rss_before_kib_ && rss_after_kib_
            ? (KibPerItem(*rss_before_kib_, *rss_after_kib_, open_streams) <= 20 ? "met" : "missed")
            : "not measured"));
    return report;
  }

  // Streams open now: opened and not ended before Close.
  int64_t opened_now() const {
    std::lock_guard lock(mutex_);
    return opened_ - ended_early_;
  }

  int64_t total() const { return static_cast<int64_t>(users_.size()); }

 private:
  using Retry = std::pair<Clock::time_point, size_t>;

  const std::string target_;
  const size_t per_channel_;
  const int64_t max_in_flight_;
  const int64_t connect_rate_;
  const Clock::duration idle_;
  const int64_t fanouts_;
  const Clock::time_point deadline_;
  const std::vector<MintedUser> users_;
  std::vector<Device> devices_;
  redis::Pool redis_;
  events::Publisher publisher_;
  const GatewayProcess gateway_;
  std::optional<int64_t> rss_before_kib_;
  std::optional<int64_t> rss_after_kib_;

  std::vector<std::shared_ptr<grpc::Channel>> channels_;
  std::vector<std::unique_ptr<gateway_v1::PushService::Stub>> stubs_;
  std::vector<std::unique_ptr<PushStream>> attempts_;  // the main thread's alone

  // Opening and ending, under mutex_.
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  int64_t in_flight_ = 0;
  int64_t opened_ = 0;
  int64_t ended_early_ = 0;  // open streams that ended before Close
  int64_t open_failed_ = 0;
  std::priority_queue<Retry, std::vector<Retry>, std::greater<>> retries_;
  Clock::time_point pause_until_;  // no connect starts before (a refusal's retry hint)
  Clock::duration pace_{};         // at least this between starts
  Clock::time_point paced_at_;     // when pace_ last doubled
  Clock::time_point open_started_;
  Clock::time_point last_opened_;
  Tally open_failures_;
  Tally open_retries_;
  Tally dropped_;
  std::atomic<int64_t> ended_{0};
  std::atomic<bool> closing_{false};
  double close_seconds_ = 0;

  std::vector<Fanout> fanouts_done_;
  std::atomic<int64_t> current_event_{0};
  std::atomic<int64_t> arrived_{0};
  std::atomic<int64_t> heartbeats_{0};
  std::atomic<int64_t> resyncs_{0};
  std::atomic<int64_t> repeated_connected_{0};
  std::atomic<int64_t> unknown_messages_{0};
};

}  // namespace

int RunConnectScenario(int argc, const char* const* argv) {
  auto config = core::Config::LoadOrExit(ConnectConfigKeys(), argc, argv);
  core::InitLogging("bench", config.String("log_level"));
  auto users =
      MintUsers(config.String("token_signing_key"), static_cast<size_t>(config.Int("streams")));
  if (!users.ok()) {
    std::cerr << "plaza-bench connect: --token-signing-key: " << users.status().message() << "\n";
    return 2;
  }
  ConnectBench bench(config, *std::move(users));
  if (auto started = bench.Start(); !started.ok()) {
    std::cerr << "plaza-bench connect: " << started.ToString() << "\n";
    return 1;
  }
  bench.Open();
  const int64_t opened = bench.opened_now();
  std::cerr << fmt::format("opened {} of {} streams\n", opened, bench.total());
  absl::Status fanned = absl::OkStatus();
  if (opened > 0) {
    bench.Idle();
    fanned = bench.FanOut();
  }
  bool closed = bench.Close();
  Report report = bench.Build(config, closed);
  std::cout << (config.Bool("json") ? RenderJson(report) : RenderTable(report)) << std::flush;
  if (!fanned.ok()) std::cerr << "plaza-bench connect: publish: " << fanned.ToString() << "\n";
  if (opened == 0) std::cerr << "plaza-bench connect: no stream opened\n";
  int code = fanned.ok() && opened > 0 && closed ? 0 : 1;
  // Calls that did not end may still call back into the bench: leave without destroying it.
  if (!closed) std::_Exit(code);
  return code;
}

}  // namespace plaza::bench
