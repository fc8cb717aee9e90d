#include "tools/bench/chat_scenario.h"

#include <grpcpp/grpcpp.h>
#include <spdlog/fmt/fmt.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <iostream>
#include <limits>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "plaza/core/config.h"
#include "plaza/core/logging.h"
#include "plaza/core/status.h"
#include "plaza/identity/v1/identity_service.grpc.pb.h"
#include "plaza/messaging/v1/messaging_service.grpc.pb.h"
#include "plaza/pg/pool.h"
#include "tools/bench/client.h"
#include "tools/bench/delivery_ledger.h"
#include "tools/bench/echo_baseline.h"
#include "tools/bench/message_bench.h"
#include "tools/bench/message_ids.h"
#include "tools/bench/report.h"
#include "tools/bench/synthetic_users.h"

namespace plaza::bench {
namespace {

namespace identity_v1 = plaza::identity::v1;
namespace messaging_v1 = plaza::messaging::v1;
using Clock = BenchClock;
using MessagingStub = messaging_v1::MessagingService::Stub;

// The goals of the issue (reported, not enforced).
constexpr double kTargetDeliverRatio = 0.15;
constexpr double kTargetDeliverP99Ms = 50;

std::vector<core::ConfigKey> ChatConfigKeys() {
  auto keys = MessageBenchConfigKeys();
  keys.push_back(
      {.name = "pairs",
       .type = core::ConfigType::kInt,
       .default_value = "200",
       .help = "pairs of users, each pair one direct conversation with one send in flight",
       .min = 1,
       .max = 100'000});
  return keys;
}

struct Pair {
  std::array<SyntheticUser, 2> users;
  int64_t conversation_id = 0;
  MessagingStub* stub = nullptr;
};

// Each pair is a lane of the ledger; its audience is its two devices (2p, 2p + 1).
std::vector<LaneAudience> PairLanes(size_t pairs) {
  std::vector<LaneAudience> lanes;
  for (size_t p = 0; p < pairs; ++p) lanes.push_back({.first_device = 2 * p, .devices = 2});
  return lanes;
}

// What one run measured.
struct ChatRun {
  Summary echo;
  Deliveries chat;
  CpuShares cpu;
};

class ChatBench final : public PushSink {
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
        text_(MessageText(config.Int("text_bytes"))),
        pg_({.url = config.String("pg_url"), .max_connections = setup_concurrency_}),
        ledger_(2 * pairs_.size(), PairLanes(pairs_.size()), runs_),
        streams_(*this) {}

  size_t pairs() const { return pairs_.size(); }
  size_t channels() const { return channels_; }
  double setup_seconds() const { return setup_seconds_; }
  const CpuSplit& cpu() const { return cpu_; }

  // Everything before the first run: users, friendships, conversations, streams, the echo
  // server, the processes to watch.
  absl::Status Setup() {
    const auto started = Clock::now();
    PLAZA_ASSIGN_OR_RETURN(auto identity,
                           ConnectForSending(config_, pg_, channels_, channels_held_, send_stubs_));
    const std::string gateway = config_.String("gateway");
    PLAZA_ASSIGN_OR_RETURN(auto users, SignUpUsers(identity, pg_, 2 * static_cast<int64_t>(pairs()),
                                                   setup_concurrency_));
    std::vector<std::string> authorizations;
    for (size_t device = 0; device < users.size(); ++device) {
      pairs_[device / 2].users[device % 2] = users[device];
      authorizations.push_back(users[device].authorization());
    }
    PLAZA_RETURN_IF_ERROR(Befriend());
    PLAZA_RETURN_IF_ERROR(
        streams_.Open(gateway, static_cast<int>(channels_), std::move(authorizations)));
    PLAZA_RETURN_IF_ERROR(echo_.Start());
    cpu_.Find(PlazaProcesses(config_, {"messaging", "identity"}));
    setup_seconds_ = Seconds(Clock::now() - started);
    return absl::OkStatus();
  }

  // The unreported first second of sending.
  absl::Status WarmUp() {
    Deliveries warm = Chat(0, kSendWarmUp);
    if (warm.acknowledged == 0) {
      return Unavailable("NO_SEND_ACKNOWLEDGED",
                         "warm-up: no send was acknowledged; failures: " + FailureList());
    }
    return absl::OkStatus();
  }

  absl::StatusOr<ChatRun> Run(int64_t run) {
    ChatRun result;
    PLAZA_ASSIGN_OR_RETURN(
        result.echo,
        MeasureWithEcho(echo_, run, echo_concurrency_, std::chrono::seconds(seconds_), [&] {
          CpuReading before = CpuReading::Now();
          result.chat = Chat(run, std::chrono::seconds(seconds_));
          result.cpu = cpu_.Between(before, chat_end_reading_);
        }));
    if (result.chat.acknowledged == 0) {
      return Unavailable("NO_SEND_ACKNOWLEDGED",
                         "no send was acknowledged; failures: " + FailureList());
    }
    return result;
  }

  // Rows of messaging.messages in the bench's conversations.
  absl::StatusOr<int64_t> PersistedCount() {
    std::vector<int64_t> ids;
    for (const Pair& pair : pairs_) ids.push_back(pair.conversation_id);
    return CountUserMessages(pg_, ids);
  }

  // Acknowledged sends over all runs, warm-up included, that stored a new message.
  int64_t AcknowledgedTotal() const { return ledger_.Acknowledged(); }

  // Ends every stream; false if some did not end, and then the bench must not be destroyed.
  bool Close() { return streams_.Close(); }

  // What went wrong or was odd, over all runs, for the report.
  void AddCounts(Report& report) const {
    for (const auto& [kind, count] : send_failures_.Sorted()) {
      report.counts.emplace_back("send failed " + kind, count);
    }
    streams_.AddCounts(report);
    if (unexpected_ > 0) report.counts.emplace_back("unexpected messages pushed", unexpected_);
  }

  // PushSink.
  void OnMessagePushed(size_t device, const messaging_v1::Message& message,
                       Clock::time_point at) override {
    const size_t p = device / 2;
    const Pair& pair = pairs_[p];
    auto key = ParseMessageId(message.client_message_id());
    // Message n goes from user n % 2 to the other; the ledger knows who may read it.
    if (!key || key->lane != static_cast<int64_t>(p) ||
        message.conversation_id() != pair.conversation_id ||
        message.sender_id() != pair.users[static_cast<size_t>(key->n % 2)].user_id) {
      unexpected_.fetch_add(1);
      return;
    }
    auto read = ledger_.Arrive({.lane = p, .run = key->run, .n = key->n}, device, at);
    if (read.read == DeliveryLedger::Read::kNotARecipient ||
        read.read == DeliveryLedger::Read::kUnknownMessage) {
      unexpected_.fetch_add(1);
    }
  }

  void OnStreamLost(size_t device) override { ledger_.Offline(device); }

 private:
  // Friend request and acceptance, then the direct conversation, all through the gateway.
  absl::Status Befriend() {
    auto identity = identity_v1::IdentityService::NewStub(channels_held_.front());
    // Not inside PLAZA_RETURN_IF_ERROR: the step uses it too.
    absl::Status befriended = ForEachIndex(
        "friendship", static_cast<int64_t>(pairs()), setup_concurrency_, [&](int64_t index) {
          Pair& pair = pairs_[static_cast<size_t>(index)];
          PLAZA_RETURN_IF_ERROR(MakeFriends(*identity, pair.users[0], pair.users[1]));
          return OpenConversation(static_cast<size_t>(index));
        });
    PLAZA_RETURN_IF_ERROR(befriended);
    std::cerr << fmt::format("made {} pairs of friends with a conversation each\n", pairs());
    return absl::OkStatus();
  }

  absl::Status OpenConversation(size_t p) {
    Pair& pair = pairs_[p];
    pair.stub = send_stubs_[p % send_stubs_.size()].get();
    grpc::ClientContext context;
    SetCallDeadline(context);
    context.AddMetadata("authorization", pair.users[0].authorization());
    messaging_v1::OpenDirectConversationRequest request;
    request.set_peer_user_id(pair.users[1].user_id);
    messaging_v1::OpenDirectConversationResponse response;
    PLAZA_RETURN_IF_ERROR(
        FromGrpc(pair.stub->OpenDirectConversation(&context, request, &response), context));
    pair.conversation_id = response.conversation().conversation_id();
    return absl::OkStatus();
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
    while (ledger_.Waiting(run) > 0 && Clock::now() < sent + kDeliveryWait) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    chat_end_reading_ = CpuReading::Now();
    std::this_thread::sleep_for(kDuplicateSettle);
    return SummarizeDeliveries(ledger_.Messages(run, start));
  }

  // Sends the pair's next message of `run`: message n from user n % 2 to the other.
  void StartSend(size_t p, int64_t run) {
    Pair& pair = pairs_[p];
    const auto side = static_cast<size_t>(ledger_.Begun(p, run) % 2);
    const MessageRef message = ledger_.Begin(p, run, 2 * p + side, Clock::now());
    SendText(*pair.stub, pair.users[side].authorization(), pair.conversation_id,
             FormatMessageId({.run = run, .lane = static_cast<int64_t>(p), .n = message.n}), text_,
             [this, message](const absl::Status& status, std::chrono::milliseconds wait) {
               OnSent(message, status, wait);
             });
  }

  void OnSent(const MessageRef& message, const absl::Status& status,
              std::chrono::milliseconds retry_after) {
    const auto now = Clock::now();
    if (status.ok()) {
      ledger_.Acknowledge(message, now);
    } else {
      send_failures_.Add(FailureKind(status));
      ledger_.Fail(message);
    }
    if (now >= send_until_) {
      active_.fetch_sub(1);
      return;
    }
    if (!status.ok()) {
      // As a client would: back off before sending again, as long as the gateway's hint says
      // for a refusal for rate or overload.
      timers_.After(retry_after, [this, message] {
        if (Clock::now() >= send_until_) {
          active_.fetch_sub(1);
        } else {
          StartSend(message.lane, message.run);
        }
      });
      return;
    }
    StartSend(message.lane, message.run);
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
  const std::string text_;
  pg::Pool pg_;
  EchoBaseline echo_;
  std::vector<std::shared_ptr<grpc::Channel>> channels_held_;
  std::vector<std::unique_ptr<MessagingStub>> send_stubs_;
  CpuSplit cpu_;
  double setup_seconds_ = 0;

  DeliveryLedger ledger_;
  PushStreams streams_;
  Timers timers_;
  // Sending: set by the main thread before a run's first send, read by the callbacks.
  Clock::time_point send_until_;
  std::atomic<int64_t> active_{0};  // pairs still sending in this run
  CpuReading chat_end_reading_;
  Tally send_failures_;
  std::atomic<int64_t> unexpected_{0};
};

}  // namespace

int RunChatScenario(int argc, const char* const* argv) {
  auto config = core::Config::LoadOrExit(ChatConfigKeys(), argc, argv);
  core::InitLogging("bench", config.String("log_level"));
  auto bench = std::make_unique<ChatBench>(config);
  return RunMessageBench("chat", *bench, [&]() -> int {
    const int64_t runs = config.Int("runs");
    std::vector<Summary> echo, send, deliver;
    std::vector<double> ratios;
    std::vector<CpuShares> cpu;
    int64_t undelivered = 0, delivered_unacked = 0, duplicates = 0;
    for (int64_t run = 1; run <= runs; ++run) {
      auto result = bench->Run(run);
      if (!result.ok()) {
        std::cerr << "plaza-bench chat: run " << run << ": " << result.status().ToString() << "\n";
        return 1;
      }
      echo.push_back(result->echo);
      send.push_back(result->chat.sent);
      deliver.push_back(result->chat.delivered);
      ratios.push_back(result->echo.per_second > 0
                           ? result->chat.delivered.per_second / result->echo.per_second
                           : std::numeric_limits<double>::quiet_NaN());
      cpu.push_back(result->cpu);
      undelivered += result->chat.undelivered;
      delivered_unacked += result->chat.delivered_unacknowledged;
      duplicates += result->chat.duplicates;
      std::cerr << fmt::format(
          "run {}/{}: echo {:.0f}/s, delivered {:.0f}/s (p50 {:.2f} ms, p99 {:.2f} ms), "
          "sent {:.0f}/s, cpu {}\n",
          run, runs, result->echo.per_second, result->chat.delivered.per_second,
          result->chat.delivered.p50_ms, result->chat.delivered.p99_ms,
          result->chat.sent.per_second, bench->cpu().Line(result->cpu));
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
    bench->cpu().AddFigures(report, cpu);
    report.figures.emplace_back("setup_seconds", bench->setup_seconds());

    const int code = CheckPersisted(report, persisted, acknowledged);
    report.counts.emplace_back("undelivered", undelivered);
    report.counts.emplace_back("delivered without ack", delivered_unacked);
    report.counts.emplace_back("delivered twice", duplicates);
    bench->AddCounts(report);

    report.notes.push_back(fmt::format("target deliver/echo >= {:.2f}: {}", kTargetDeliverRatio,
                                       ratio >= kTargetDeliverRatio ? "met" : "missed"));
    report.notes.push_back(fmt::format("target deliver p99 <= {:.0f} ms: {}", kTargetDeliverP99Ms,
                                       delivered.p99_ms <= kTargetDeliverP99Ms ? "met" : "missed"));
    std::cout << (config.Bool("json") ? RenderJson(report) : RenderTable(report)) << std::flush;
    return code;
  });
}

}  // namespace plaza::bench
