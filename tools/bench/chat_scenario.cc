#include "tools/bench/chat_scenario.h"

#include <grpcpp/alarm.h>
#include <grpcpp/grpcpp.h>
#include <spdlog/fmt/fmt.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <deque>
#include <iostream>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "plaza/core/config.h"
#include "plaza/core/logging.h"
#include "plaza/core/status.h"
#include "plaza/gateway/v1/push_service.grpc.pb.h"
#include "plaza/identity/v1/identity_service.grpc.pb.h"
#include "plaza/messaging/v1/messaging_service.grpc.pb.h"
#include "plaza/pg/pool.h"
#include "tools/bench/client.h"
#include "tools/bench/echo_baseline.h"
#include "tools/bench/load.h"
#include "tools/bench/message_ids.h"
#include "tools/bench/proc_status.h"
#include "tools/bench/push_stream.h"
#include "tools/bench/report.h"
#include "tools/bench/synthetic_users.h"

namespace plaza::bench {
namespace {

namespace gateway_v1 = plaza::gateway::v1;
namespace identity_v1 = plaza::identity::v1;
namespace messaging_v1 = plaza::messaging::v1;
using Clock = std::chrono::steady_clock;
using MessagingStub = messaging_v1::MessagingService::Stub;

// Unreported sending before the first run: channels, pools and caches warm up.
constexpr std::chrono::seconds kWarmUp{1};
// After the last acknowledgement, how long acknowledged messages may take to arrive before the
// missing ones count as undelivered; then a little longer for duplicates to show.
constexpr std::chrono::seconds kDeliveryWait{10};
constexpr std::chrono::milliseconds kDuplicateSettle{200};
// How long a pair waits after a failed send (other than a refusal with a hint) before the next.
constexpr std::chrono::milliseconds kFailureBackOff{100};
// Bound on opening all the streams, retries for rate included.
constexpr std::chrono::seconds kOpenTimeout{120};
// Connects waiting for their `connected` message at once.
constexpr int64_t kMaxOpening = 200;
// The gateway allows 100 concurrent calls per connection; stay below.
constexpr size_t kCallsPerChannel = 90;
// The goals of the issue (reported, not enforced).
constexpr double kTargetRatio = 0.15;
constexpr double kTargetP99Ms = 50;

double Seconds(Clock::duration duration) { return std::chrono::duration<double>(duration).count(); }

std::vector<core::ConfigKey> ChatConfigKeys() {
  using core::ConfigType;
  return {
      {.name = "gateway",
       .default_value = "127.0.0.1:7000",
       .help = "gRPC address of the gateway: friend requests, conversations, sends, push streams"},
      {.name = "identity",
       .default_value = "127.0.0.1:7101",
       .help = "gRPC address of identity (dev_mode), where the users sign up"},
      {.name = "messaging",
       .default_value = "127.0.0.1:7102",
       .help = "gRPC address of messaging; only its port is used, to find its process for the "
               "CPU split"},
      {.name = "pg_url",
       .default_value = "postgresql://postgres@127.0.0.1:7432/plaza",
       .help = "the cluster's PostgreSQL (identity's and messaging's database): sign-up codes, "
               "the persisted count; its port finds the server for the CPU split",
       .secret = true},
      {.name = "redis_url",
       .default_value = "redis://127.0.0.1:7379",
       .help = "the cluster's Redis; only its port is used, to find its process for the CPU split",
       .secret = true},
      {.name = "pairs",
       .type = ConfigType::kInt,
       .default_value = "200",
       .help = "pairs of users, each pair one direct conversation with one send in flight",
       .min = 1,
       .max = 100'000},
      {.name = "seconds",
       .type = ConfigType::kInt,
       .default_value = "5",
       .help = "length of each measurement",
       .min = 1,
       .max = 600},
      {.name = "runs",
       .type = ConfigType::kInt,
       .default_value = "3",
       .help = "runs, each measuring echo and chat; the report shows their medians",
       .min = 1,
       .max = 100},
      {.name = "channels",
       .type = ConfigType::kInt,
       .default_value = "8",
       .help = "channels (TCP connections) to the gateway for the sends, pairs spread round "
               "robin; raised to ceil(pairs / 90) if lower (100 calls per connection)",
       .min = 1,
       .max = 1024},
      {.name = "echo_concurrency",
       .type = ConfigType::kInt,
       .default_value = "64",
       .help = "Echo calls the baseline keeps in flight (callback API, like the sends)",
       .min = 1,
       .max = 1024},
      {.name = "setup_concurrency",
       .type = ConfigType::kInt,
       .default_value = "16",
       .help = "client threads for sign-ups and friendships (not measured)",
       .min = 1,
       .max = 256},
      {.name = "text_bytes",
       .type = ConfigType::kInt,
       .default_value = "32",
       .help = "length of each message's text",
       .min = 1,
       .max = 16384},
      {.name = "json",
       .type = ConfigType::kBool,
       .default_value = "false",
       .help = "print the report as JSON"},
      {.name = "log_level", .default_value = "warn", .help = "trace|debug|info|warn|error"},
  };
}

// One message of a pair: what its sender and its receiver saw.
struct Record {
  Clock::time_point sent;
  std::optional<Clock::time_point> acked;
  std::optional<Clock::time_point> delivered;
  int64_t copies = 0;
};

// One SendMessage call in flight; it owns what gRPC reads and writes until the callback.
struct SendCall {
  grpc::ClientContext context;
  messaging_v1::SendMessageRequest request;
  messaging_v1::SendMessageResponse response;
};

struct Pair {
  std::array<SyntheticUser, 2> users;
  std::array<std::string, 2> authorization;
  int64_t conversation_id = 0;
  MessagingStub* stub = nullptr;
  // Per run (0: the warm-up), the pair's messages in order: index n is message n.
  std::mutex mutex;
  std::vector<std::vector<Record>> runs;
  // Back-off timers after refusals for rate; kept until the end, so none is destroyed while its
  // callback may still run. Only the pair's own callbacks touch them, one at a time.
  std::vector<std::unique_ptr<grpc::Alarm>> alarms;
};

// A process group whose CPU time is read, e.g. "postgres" = the postmaster and its backends.
struct Watched {
  std::string name;
  int root = 0;  // 0: not found; `why_not` says why
  std::string why_not;
};

// CPU-seconds per second of each watched group, and of the whole machine, over one window.
struct CpuShares {
  std::map<std::string, double> cores;  // by Watched::name; NaN if not measured
  double machine_busy = std::numeric_limits<double>::quiet_NaN();
};

struct CpuReading {
  Clock::time_point at;
  std::map<int, ProcStat> all;
  std::optional<MachineCpu> machine;

  static CpuReading Now() {
    return {.at = Clock::now(), .all = ReadAllProcStats(), .machine = ReadMachineCpu()};
  }
};

// What one run measured.
struct RunResult {
  Summary echo;
  Deliveries chat;
  CpuShares cpu;
};

class ChatBench final : public PushObserver {
 public:
  explicit ChatBench(const core::Config& config)
      : config_(config),
        pairs_(static_cast<size_t>(config.Int("pairs"))),
        seconds_(config.Int("seconds")),
        runs_(config.Int("runs")),
        echo_concurrency_(static_cast<int>(config.Int("echo_concurrency"))),
        setup_concurrency_(static_cast<int>(config.Int("setup_concurrency"))),
        channels_(std::max<size_t>(static_cast<size_t>(config.Int("channels")),
                                   (pairs_.size() + kCallsPerChannel - 1) / kCallsPerChannel)),
        pg_({.url = config.String("pg_url"), .max_connections = setup_concurrency_}),
        acked_(static_cast<size_t>(runs_ + 1)),
        complete_(static_cast<size_t>(runs_ + 1)) {
    std::string pattern = "plaza-bench chat ";
    for (int64_t i = 0; i < config.Int("text_bytes"); ++i) text_ += pattern[i % pattern.size()];
  }

  size_t pairs() const { return pairs_.size(); }
  size_t channels() const { return channels_; }
  double setup_seconds() const { return setup_seconds_; }

  // Everything before the first run: users, friendships, conversations, streams, the echo
  // server, the processes to watch.
  absl::Status Setup() {
    const auto started = Clock::now();
    if (auto ping = pg_.Ping(); !ping.ok()) {
      return Unavailable("PG_UNREACHABLE",
                         "PostgreSQL at --pg-url: " + std::string(ping.message()));
    }
    PLAZA_ASSIGN_OR_RETURN(auto identity, Connect(config_.String("identity")));
    const std::string gateway = config_.String("gateway");
    for (size_t i = 0; i < channels_; ++i) {
      PLAZA_ASSIGN_OR_RETURN(auto channel, ConnectOwn(gateway, static_cast<int>(i)));
      send_stubs_.push_back(messaging_v1::MessagingService::NewStub(channel));
      channels_held_.push_back(std::move(channel));
    }
    PLAZA_RETURN_IF_ERROR(SignUp(identity));
    PLAZA_RETURN_IF_ERROR(Befriend());
    PLAZA_RETURN_IF_ERROR(OpenStreams(gateway));
    PLAZA_RETURN_IF_ERROR(echo_.Start());
    FindProcesses();
    setup_seconds_ = Seconds(Clock::now() - started);
    return absl::OkStatus();
  }

  // The unreported first second of sending.
  absl::Status WarmUp() {
    Deliveries warm = Chat(0, kWarmUp);
    if (warm.acknowledged == 0) {
      return Unavailable("NO_SEND_ACKNOWLEDGED",
                         "warm-up: no send was acknowledged; failures: " + FailureList());
    }
    return absl::OkStatus();
  }

  absl::StatusOr<RunResult> Run(int64_t run) {
    RunResult result;
    LoadOptions echo_options{.name = "echo",
                             .concurrency = echo_concurrency_,
                             .duration = std::chrono::seconds(seconds_)};
    if (run % 2 == 1) {
      PLAZA_ASSIGN_OR_RETURN(result.echo, echo_.MeasureCallbacks(echo_options));
    }
    CpuReading before = CpuReading::Now();
    result.chat = Chat(run, std::chrono::seconds(seconds_));
    result.cpu = Shares(before, chat_end_reading_);
    if (run % 2 == 0) {
      PLAZA_ASSIGN_OR_RETURN(result.echo, echo_.MeasureCallbacks(echo_options));
    }
    if (result.chat.acknowledged == 0) {
      return Unavailable("NO_SEND_ACKNOWLEDGED",
                         "no send was acknowledged; failures: " + FailureList());
    }
    return result;
  }

  // Rows of messaging.messages in the bench's conversations.
  absl::StatusOr<int64_t> PersistedCount() {
    std::string ids = "{";
    for (const Pair& pair : pairs_) {
      ids += (ids.size() > 1 ? "," : "") + std::to_string(pair.conversation_id);
    }
    ids += "}";
    return pg_.Transact([&](pqxx::work& tx) -> absl::StatusOr<int64_t> {
      return tx
          .exec_params1(
              "SELECT count(*) FROM messaging.messages WHERE conversation_id = ANY($1::bigint[])",
              ids)[0]
          .as<int64_t>();
    });
  }

  // Acknowledged sends over all runs, warm-up included, that stored a new message.
  int64_t AcknowledgedTotal() const {
    int64_t total = 0;
    for (const auto& acked : acked_) total += acked.load();
    return total;
  }

  // Ends every stream and waits (bounded) for all to end; false if some did not, and then the
  // bench must not be destroyed: their callbacks may still come.
  bool Close() {
    closing_.store(true);
    std::vector<PushStream*> attempts;
    {
      std::lock_guard lock(streams_mutex_);
      for (auto& attempt : attempts_) attempts.push_back(attempt.get());
    }
    for (PushStream* attempt : attempts) attempt->Cancel();
    auto give_up = Clock::now() + std::chrono::seconds(10);
    while (ended_.load() < static_cast<int64_t>(attempts.size()) && Clock::now() < give_up) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return ended_.load() == static_cast<int64_t>(attempts.size());
  }

  const std::vector<Watched>& watched() const { return watched_; }

  // What went wrong or was odd, over all runs, for the report.
  void AddCounts(Report& report) const {
    for (const auto& [kind, count] : send_failures_.Sorted()) {
      report.counts.emplace_back("send failed " + kind, count);
    }
    for (const auto& [kind, count] : open_retries_.Sorted()) {
      report.counts.emplace_back("stream open retried " + kind, count);
    }
    for (const auto& [kind, count] : ended_early_.Sorted()) {
      report.counts.emplace_back("stream ended early " + kind, count);
    }
    if (duplicate_acks_ > 0) report.counts.emplace_back("duplicate acks", duplicate_acks_.load());
    if (wrong_acks_ > 0) report.counts.emplace_back("acks for another message", wrong_acks_.load());
    if (unexpected_ > 0) report.counts.emplace_back("unexpected messages pushed", unexpected_);
    if (other_events_ > 0) report.counts.emplace_back("other events pushed", other_events_);
    if (heartbeats_ > 0) report.counts.emplace_back("heartbeats", heartbeats_.load());
    if (resyncs_ > 0) report.counts.emplace_back("resyncs", resyncs_.load());
  }

  // PushObserver.
  void OnPushConnected(PushStream&, Clock::time_point) override {
    std::lock_guard lock(streams_mutex_);
    --opening_;
    ++connected_;
  }

  void OnPushEvent(PushStream& stream, const plaza::events::v1::Event& event,
                   Clock::time_point at) override {
    if (!event.has_message_changed()) {
      other_events_.fetch_add(1);
      return;
    }
    const messaging_v1::Message& message = event.message_changed().message();
    const size_t device = stream.device();
    const size_t p = device / 2;
    Pair& pair = pairs_[p];
    auto key = ParseMessageId(message.client_message_id());
    // Message n goes from user n % 2 to the other: this device's user must be the receiver.
    if (!key || key->pair != static_cast<int64_t>(p) || key->run < 0 || key->run > runs_ ||
        key->n % 2 == static_cast<int64_t>(device % 2) ||
        message.conversation_id() != pair.conversation_id ||
        message.sender_id() != pair.users[key->n % 2].user_id) {
      unexpected_.fetch_add(1);
      return;
    }
    bool complete = false;
    {
      std::lock_guard lock(pair.mutex);
      auto& records = pair.runs[static_cast<size_t>(key->run)];
      if (key->n >= static_cast<int64_t>(records.size())) {
        unexpected_.fetch_add(1);
        return;
      }
      Record& record = records[static_cast<size_t>(key->n)];
      if (record.copies++ == 0) {
        record.delivered = at;
        complete = record.acked.has_value();
      }
    }
    if (complete) complete_[static_cast<size_t>(key->run)].fetch_add(1);
  }

  void OnPushOther(PushStream&, gateway_v1::ConnectResponse::KindCase kind) override {
    if (kind == gateway_v1::ConnectResponse::kHeartbeat) heartbeats_.fetch_add(1);
    if (kind == gateway_v1::ConnectResponse::kResync) resyncs_.fetch_add(1);
  }

  void OnPushDone(PushStream& stream, const absl::Status& status,
                  std::chrono::milliseconds retry_after) override {
    std::lock_guard lock(streams_mutex_);
    if (!stream.connected()) {
      --opening_;
      if (status.code() == absl::StatusCode::kResourceExhausted && !closing_.load()) {
        open_retries_.Add(FailureKind(status));
        auto when = Clock::now() + retry_after;
        // The limit is per client address, shared by every stream here: hold all starts back.
        pause_until_ = std::max(pause_until_, when);
        to_open_.push_back(stream.device());
      } else if (!closing_.load() && open_failure_.ok()) {
        open_failure_ = status;
      }
    } else if (!closing_.load()) {
      --connected_;
      ended_early_.Add(FailureKind(status));
    }
    ended_.fetch_add(1);
  }

 private:
  absl::Status SignUp(std::shared_ptr<grpc::Channel> identity) {
    SyntheticUsers users(std::move(identity), pg_);
    const auto count = static_cast<int64_t>(2 * pairs_.size());
    LoadOptions options{.name = "sign-up",
                        .concurrency = setup_concurrency_,
                        .duration = std::chrono::minutes(30),
                        .max_operations = count};
    std::mutex mutex;
    absl::Status first_failure;
    auto summary = RunClosedLoop(options, [&](int64_t index) -> absl::Status {
      auto user = users.SignUp();
      if (!user.ok()) {
        std::lock_guard lock(mutex);
        if (first_failure.ok()) first_failure = user.status();
        return user.status();
      }
      Pair& pair = pairs_[static_cast<size_t>(index / 2)];
      pair.users[index % 2] = *user;
      pair.authorization[index % 2] = user->authorization();
      return absl::OkStatus();
    });
    if (!summary.ok()) return summary.status();
    if (summary->errors > 0) {
      return Error(first_failure.code(), ReasonOf(first_failure),
                   fmt::format("sign-up: {} of {} failed; first: {}", summary->errors, count,
                               first_failure.ToString()));
    }
    std::cerr << fmt::format("signed up {} users ({:.0f}/s)\n", count, summary->per_second);
    return absl::OkStatus();
  }

  // Friend request and acceptance, then the direct conversation, all through the gateway.
  absl::Status Befriend() {
    auto identity = identity_v1::IdentityService::NewStub(channels_held_.front());
    LoadOptions options{.name = "friendship",
                        .concurrency = setup_concurrency_,
                        .duration = std::chrono::minutes(30),
                        .max_operations = static_cast<int64_t>(pairs_.size())};
    std::mutex mutex;
    absl::Status first_failure;
    auto summary = RunClosedLoop(options, [&](int64_t index) -> absl::Status {
      Pair& pair = pairs_[static_cast<size_t>(index)];
      absl::Status status = MakeFriends(*identity, pair.users[0], pair.users[1]);
      if (status.ok()) status = OpenConversation(static_cast<size_t>(index));
      if (!status.ok()) {
        std::lock_guard lock(mutex);
        if (first_failure.ok()) first_failure = status;
      }
      return status;
    });
    if (!summary.ok()) return summary.status();
    if (summary->errors > 0) {
      return Error(first_failure.code(), ReasonOf(first_failure),
                   fmt::format("friendship: {} of {} pairs failed; first: {}", summary->errors,
                               pairs_.size(), first_failure.ToString()));
    }
    std::cerr << fmt::format("made {} pairs of friends with a conversation each\n", pairs_.size());
    return absl::OkStatus();
  }

  absl::Status OpenConversation(size_t p) {
    Pair& pair = pairs_[p];
    pair.stub = send_stubs_[p % send_stubs_.size()].get();
    pair.runs.resize(static_cast<size_t>(runs_ + 1));
    grpc::ClientContext context;
    SetCallDeadline(context);
    context.AddMetadata("authorization", pair.authorization[0]);
    messaging_v1::OpenDirectConversationRequest request;
    request.set_peer_user_id(pair.users[1].user_id);
    messaging_v1::OpenDirectConversationResponse response;
    PLAZA_RETURN_IF_ERROR(
        FromGrpc(pair.stub->OpenDirectConversation(&context, request, &response), context));
    pair.conversation_id = response.conversation().conversation_id();
    return absl::OkStatus();
  }

  // One Connect stream per user (device 2p + side), on channels of their own; refusals for
  // rate are retried after the gateway's hint.
  absl::Status OpenStreams(const std::string& gateway) {
    const size_t devices = 2 * pairs_.size();
    for (size_t i = 0; i < (devices + kCallsPerChannel - 1) / kCallsPerChannel; ++i) {
      PLAZA_ASSIGN_OR_RETURN(auto channel, ConnectOwn(gateway, static_cast<int>(channels_ + i)));
      push_stubs_.push_back(gateway_v1::PushService::NewStub(channel));
      channels_held_.push_back(std::move(channel));
    }
    {
      std::lock_guard lock(streams_mutex_);
      for (size_t device = 0; device < devices; ++device) to_open_.push_back(device);
    }
    const auto give_up = Clock::now() + kOpenTimeout;
    while (true) {
      PushStream* stream = nullptr;
      {
        std::lock_guard lock(streams_mutex_);
        if (!open_failure_.ok()) {
          return Error(open_failure_.code(), ReasonOf(open_failure_),
                       "opening a push stream: " + open_failure_.ToString());
        }
        if (connected_ == static_cast<int64_t>(devices)) break;
        auto now = Clock::now();
        if (now >= give_up) {
          return Error(absl::StatusCode::kDeadlineExceeded, "STREAMS_NOT_OPEN",
                       fmt::format("{} of {} push streams open after {} s", connected_, devices,
                                   kOpenTimeout.count()));
        }
        if (now >= pause_until_ && opening_ < kMaxOpening && !to_open_.empty()) {
          attempts_.push_back(std::make_unique<PushStream>(*this, to_open_.front()));
          to_open_.pop_front();
          ++opening_;
          stream = attempts_.back().get();
        }
      }
      if (stream == nullptr) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        continue;
      }
      // Outside the lock: gRPC may call back on this thread.
      const size_t device = stream->device();
      stream->Start(*push_stubs_[device / kCallsPerChannel],
                    pairs_[device / 2].authorization[device % 2]);
    }
    std::cerr << fmt::format("opened {} push streams\n", devices);
    return absl::OkStatus();
  }

  // The processes whose CPU time is read, by the port each listens on.
  void FindProcesses() {
    auto by_port = [](std::string name, const std::string& address, int default_port) {
      Watched watched{.name = std::move(name)};
      auto port = ParsePort(address, default_port);
      if (!port || *port <= 0) {
        watched.why_not = "no port in its address";
        return watched;
      }
      if (auto pid = PidListeningOn(*port)) {
        watched.root = *pid;
      } else {
        watched.why_not = fmt::format("no process of this machine listens on port {}", *port);
      }
      return watched;
    };
    watched_.push_back(by_port("gateway", config_.String("gateway"), 0));
    watched_.push_back(by_port("messaging", config_.String("messaging"), 0));
    watched_.push_back(by_port("identity", config_.String("identity"), 0));
    watched_.push_back(by_port("postgres", config_.String("pg_url"), 5432));
    watched_.push_back(by_port("redis", config_.String("redis_url"), 6379));
    watched_.push_back({.name = "bench", .root = static_cast<int>(getpid())});
    for (const Watched& watched : watched_) {
      if (watched.root != 0) {
        std::cerr << fmt::format("cpu: {} is pid {} ({})\n", watched.name, watched.root,
                                 ProcessName(watched.root));
      }
    }
  }

  CpuShares Shares(const CpuReading& before, const CpuReading& after) const {
    CpuShares shares;
    const double seconds = Seconds(after.at - before.at);
    const double ticks = ClockTicks();
    for (const Watched& watched : watched_) {
      double cores = std::numeric_limits<double>::quiet_NaN();
      if (watched.root != 0 && seconds > 0) {
        int64_t spent = CpuTicksBetween(ProcessTree(before.all, watched.root),
                                        ProcessTree(after.all, watched.root));
        cores = static_cast<double>(spent) / ticks / seconds;
      }
      shares.cores[watched.name] = cores;
    }
    if (before.machine && after.machine && seconds > 0) {
      shares.machine_busy =
          static_cast<double>(after.machine->busy_ticks - before.machine->busy_ticks) / ticks /
          seconds;
    }
    return shares;
  }

  // Every pair sends for `duration`, one message in flight each; then the bench waits for the
  // acknowledged messages to arrive. Leaves the CPU reading at that moment in
  // chat_end_reading_.
  Deliveries Chat(int64_t run, Clock::duration duration) {
    const auto start = Clock::now();
    send_until_ = start + duration;
    active_.store(static_cast<int64_t>(pairs_.size()));
    for (size_t p = 0; p < pairs_.size(); ++p) StartSend(p, run);
    // Every send has a deadline, so this ends.
    while (active_.load() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    const auto sent = Clock::now();
    const auto r = static_cast<size_t>(run);
    while (complete_[r].load() < acked_[r].load() && Clock::now() < sent + kDeliveryWait) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    chat_end_reading_ = CpuReading::Now();
    std::this_thread::sleep_for(kDuplicateSettle);

    std::vector<SentMessage> messages;
    for (Pair& pair : pairs_) {
      std::lock_guard lock(pair.mutex);
      for (const Record& record : pair.runs[r]) {
        SentMessage message{.sent_ms = Millis(record.sent - start), .copies = record.copies};
        if (record.acked) message.acked_ms = Millis(*record.acked - start);
        if (record.delivered) message.delivered_ms = Millis(*record.delivered - start);
        messages.push_back(message);
      }
    }
    return SummarizeDeliveries(messages);
  }

  // Sends the pair's next message of `run`.
  void StartSend(size_t p, int64_t run) {
    Pair& pair = pairs_[p];
    auto call = std::make_unique<SendCall>();
    int64_t n = 0;
    {
      std::lock_guard lock(pair.mutex);
      n = static_cast<int64_t>(pair.runs[static_cast<size_t>(run)].size());
    }
    const int side = static_cast<int>(n % 2);
    SetCallDeadline(call->context);
    call->context.AddMetadata("authorization", pair.authorization[side]);
    call->request.set_conversation_id(pair.conversation_id);
    call->request.set_client_message_id(
        FormatMessageId({.run = run, .pair = static_cast<int64_t>(p), .n = n}));
    call->request.mutable_content()->mutable_text()->set_text(text_);
    {
      std::lock_guard lock(pair.mutex);
      pair.runs[static_cast<size_t>(run)].push_back({.sent = Clock::now()});
    }
    SendCall* raw = call.release();
    pair.stub->async()->SendMessage(
        &raw->context, &raw->request, &raw->response,
        [this, p, run, n, raw](const grpc::Status& status) { OnSent(p, run, n, raw, status); });
  }

  void OnSent(size_t p, int64_t run, int64_t n, SendCall* raw, const grpc::Status& grpc_status) {
    std::unique_ptr<SendCall> call(raw);
    const auto now = Clock::now();
    Pair& pair = pairs_[p];
    absl::Status status = FromGrpc(grpc_status, call->context);
    const messaging_v1::Message& message = call->response.message();
    if (status.ok() && (message.conversation_id() != pair.conversation_id ||
                        message.client_message_id() != call->request.client_message_id())) {
      wrong_acks_.fetch_add(1);
      status = Internal("WRONG_ACK", "the acknowledgement names another message");
    }
    if (status.ok() && call->response.duplicate()) {
      // Stored by an earlier send: not a new message.
      duplicate_acks_.fetch_add(1);
      status = AlreadyExists("DUPLICATE", "acknowledged as a duplicate");
    }
    const auto r = static_cast<size_t>(run);
    if (status.ok()) {
      bool complete = false;
      {
        std::lock_guard lock(pair.mutex);
        Record& record = pair.runs[r][static_cast<size_t>(n)];
        record.acked = now;
        complete = record.delivered.has_value();
      }
      acked_[r].fetch_add(1);
      if (complete) complete_[r].fetch_add(1);
    } else {
      send_failures_.Add(FailureKind(status));
    }
    if (now >= send_until_) {
      active_.fetch_sub(1);
      return;
    }
    if (!status.ok()) {
      // As a client would: back off before sending again, as long as the gateway's hint says
      // for a refusal for rate or overload.
      auto wait = status.code() == absl::StatusCode::kResourceExhausted
                      ? RetryAfter(call->context, kDefaultRetryAfter)
                      : kFailureBackOff;
      pair.alarms.push_back(std::make_unique<grpc::Alarm>());
      pair.alarms.back()->Set(std::chrono::system_clock::now() + wait, [this, p, run](bool) {
        if (Clock::now() >= send_until_) {
          active_.fetch_sub(1);
        } else {
          StartSend(p, run);
        }
      });
      return;
    }
    StartSend(p, run);
  }

  std::string FailureList() const {
    std::string list;
    for (const auto& [kind, count] : send_failures_.Sorted()) {
      list += fmt::format("{}{}: {}", list.empty() ? "" : ", ", kind, count);
    }
    return list.empty() ? "none" : list;
  }

  const core::Config& config_;
  std::vector<Pair> pairs_;
  const int64_t seconds_;
  const int64_t runs_;
  const int echo_concurrency_;
  const int setup_concurrency_;
  const size_t channels_;
  std::string text_;
  pg::Pool pg_;
  EchoBaseline echo_;
  std::vector<std::shared_ptr<grpc::Channel>> channels_held_;
  std::vector<std::unique_ptr<MessagingStub>> send_stubs_;
  std::vector<std::unique_ptr<gateway_v1::PushService::Stub>> push_stubs_;
  std::vector<Watched> watched_;
  double setup_seconds_ = 0;

  // Sending: set by the main thread before a run's first send, read by the callbacks.
  Clock::time_point send_until_;
  std::atomic<int64_t> active_{0};              // pairs still sending in this run
  std::vector<std::atomic<int64_t>> acked_;     // per run: acknowledged new messages
  std::vector<std::atomic<int64_t>> complete_;  // per run: acknowledged and delivered
  CpuReading chat_end_reading_;
  Tally send_failures_;
  std::atomic<int64_t> duplicate_acks_{0};
  std::atomic<int64_t> wrong_acks_{0};

  // Streams.
  std::mutex streams_mutex_;
  std::vector<std::unique_ptr<PushStream>> attempts_;  // every attempt, until the end
  std::deque<size_t> to_open_;
  int64_t opening_ = 0;
  int64_t connected_ = 0;
  Clock::time_point pause_until_;
  absl::Status open_failure_;
  std::atomic<int64_t> ended_{0};
  std::atomic<bool> closing_{false};
  Tally open_retries_;
  Tally ended_early_;
  std::atomic<int64_t> unexpected_{0};
  std::atomic<int64_t> other_events_{0};
  std::atomic<int64_t> heartbeats_{0};
  std::atomic<int64_t> resyncs_{0};
};

// The median over runs of a figure, NaN if any run lacks it.
double MedianOf(const std::vector<double>& values) {
  for (double value : values) {
    if (!std::isfinite(value)) return std::numeric_limits<double>::quiet_NaN();
  }
  return values.empty() ? std::numeric_limits<double>::quiet_NaN() : Median(values);
}

}  // namespace

int RunChatScenario(int argc, const char* const* argv) {
  auto config = core::Config::LoadOrExit(ChatConfigKeys(), argc, argv);
  core::InitLogging("bench", config.String("log_level"));
  auto bench = std::make_unique<ChatBench>(config);
  int code = 0;
  // Streams still open call back into the bench until they end: close them on every way out,
  // and if they will not end, leave without destroying it.
  auto finish = [&](int exit_code) {
    if (!bench->Close()) {
      std::cerr << "plaza-bench chat: some push streams did not end\n";
      std::_Exit(exit_code == 0 ? 1 : exit_code);
    }
    return exit_code;
  };
  if (auto setup = bench->Setup(); !setup.ok()) {
    std::cerr << "plaza-bench chat: setup: " << setup.ToString() << "\n";
    return finish(1);
  }
  if (auto warm = bench->WarmUp(); !warm.ok()) {
    std::cerr << "plaza-bench chat: " << warm.ToString() << "\n";
    return finish(1);
  }

  const int64_t runs = config.Int("runs");
  std::vector<Summary> echo, send, deliver;
  std::vector<double> ratios;
  std::map<std::string, std::vector<double>> cpu;
  std::vector<double> machine_busy;
  int64_t undelivered = 0, delivered_unacked = 0, duplicates = 0;
  for (int64_t run = 1; run <= runs; ++run) {
    auto result = bench->Run(run);
    if (!result.ok()) {
      std::cerr << "plaza-bench chat: run " << run << ": " << result.status().ToString() << "\n";
      return finish(1);
    }
    echo.push_back(result->echo);
    send.push_back(result->chat.sent);
    deliver.push_back(result->chat.delivered);
    ratios.push_back(result->echo.per_second > 0
                         ? result->chat.delivered.per_second / result->echo.per_second
                         : std::numeric_limits<double>::quiet_NaN());
    for (const auto& [name, cores] : result->cpu.cores) cpu[name].push_back(cores);
    machine_busy.push_back(result->cpu.machine_busy);
    undelivered += result->chat.undelivered;
    delivered_unacked += result->chat.delivered_unacknowledged;
    duplicates += result->chat.duplicates;
    std::cerr << fmt::format(
        "run {}/{}: echo {:.0f}/s, delivered {:.0f}/s (p50 {:.2f} ms, p99 {:.2f} ms), "
        "sent {:.0f}/s, cpu gateway {:.2f} messaging {:.2f} identity {:.2f} postgres {:.2f} "
        "redis {:.2f} bench {:.2f} machine {:.2f}\n",
        run, runs, result->echo.per_second, result->chat.delivered.per_second,
        result->chat.delivered.p50_ms, result->chat.delivered.p99_ms, result->chat.sent.per_second,
        result->cpu.cores["gateway"], result->cpu.cores["messaging"], result->cpu.cores["identity"],
        result->cpu.cores["postgres"], result->cpu.cores["redis"], result->cpu.cores["bench"],
        result->cpu.machine_busy);
  }

  auto persisted = bench->PersistedCount();
  const int64_t acknowledged = bench->AcknowledgedTotal();

  const Summary delivered = MedianOfRuns(deliver);
  const double ratio = MedianOf(ratios);
  Report report{
      .scenario = "chat",
      .parameters = {{"runs", runs},
                     {"seconds", config.Int("seconds")},
                     {"pairs", static_cast<int64_t>(bench->pairs())},
                     {"users", static_cast<int64_t>(2 * bench->pairs())},
                     {"channels", static_cast<int64_t>(bench->channels())},
                     {"echo_concurrency", config.Int("echo_concurrency")},
                     {"text_bytes", config.Int("text_bytes")}},
      .operations = {{"echo", MedianOfRuns(echo)},
                     {"send", MedianOfRuns(send)},
                     {"deliver", delivered}},
      .ratios = {{"deliver/echo", ratio}},
  };
  for (const Watched& watched : bench->watched()) {
    report.figures.emplace_back("cpu_" + watched.name + "_cores", MedianOf(cpu[watched.name]));
    if (watched.root == 0) {
      report.notes.push_back(
          fmt::format("cpu of {} not measured: {}", watched.name, watched.why_not));
    }
  }
  report.figures.emplace_back("cpu_machine_busy_cores", MedianOf(machine_busy));
  report.figures.emplace_back("setup_seconds", bench->setup_seconds());

  report.counts.emplace_back("acknowledged (all runs and warm-up)", acknowledged);
  if (persisted.ok()) report.counts.emplace_back("persisted", *persisted);
  report.counts.emplace_back("undelivered", undelivered);
  report.counts.emplace_back("delivered without ack", delivered_unacked);
  report.counts.emplace_back("delivered twice", duplicates);
  bench->AddCounts(report);

  report.notes.push_back(fmt::format("target deliver/echo >= {:.2f}: {}", kTargetRatio,
                                     ratio >= kTargetRatio ? "met" : "missed"));
  report.notes.push_back(fmt::format("target deliver p99 <= {:.0f} ms: {}", kTargetP99Ms,
                                     delivered.p99_ms <= kTargetP99Ms ? "met" : "missed"));
  if (!persisted.ok()) {
    report.notes.push_back("persisted count unknown: " + persisted.status().ToString());
    code = 1;
  } else if (*persisted != acknowledged) {
    report.notes.push_back(
        fmt::format("persisted != acknowledged: {} rows in "
                    "messaging.messages, {} sends acknowledged",
                    *persisted, acknowledged));
    code = 1;
  } else {
    report.notes.emplace_back("persisted == acknowledged: met");
  }
  std::cout << (config.Bool("json") ? RenderJson(report) : RenderTable(report)) << std::flush;
  return finish(code);
}

}  // namespace plaza::bench
