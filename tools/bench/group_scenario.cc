#include "tools/bench/group_scenario.h"

#include <grpcpp/grpcpp.h>
#include <spdlog/fmt/fmt.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <iostream>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "plaza/core/config.h"
#include "plaza/core/logging.h"
#include "plaza/core/status.h"
#include "plaza/groups/v1/groups_service.grpc.pb.h"
#include "plaza/identity/v1/identity_service.grpc.pb.h"
#include "plaza/messaging/v1/messaging_service.grpc.pb.h"
#include "plaza/pg/pool.h"
#include "tools/bench/client.h"
#include "tools/bench/delivery_ledger.h"
#include "tools/bench/echo_baseline.h"
#include "tools/bench/message_bench.h"
#include "tools/bench/message_ids.h"
#include "tools/bench/pg_activity.h"
#include "tools/bench/pg_probe.h"
#include "tools/bench/report.h"
#include "tools/bench/synthetic_users.h"

namespace plaza::bench {
namespace {

namespace groups_v1 = plaza::groups::v1;
namespace identity_v1 = plaza::identity::v1;
namespace messaging_v1 = plaza::messaging::v1;
using Clock = BenchClock;
using MessagingStub = messaging_v1::MessagingService::Stub;

// The group cap, and CreateGroup's minimum of friends besides the owner.
constexpr int64_t kMaxMembers = 500;
constexpr int64_t kCreateFriends = 2;
// PostgreSQL's statistics: settled from kPgFlushDelay after the load on, once the row counters
// have not moved for kPgQuiet; each wait is bounded.
constexpr std::chrono::milliseconds kPgQuiet{1500};
constexpr std::chrono::milliseconds kPgSettleBound{30'000};
// How long the idle cluster is watched for what it writes on its own.
constexpr std::chrono::seconds kPgBackground{3};

std::vector<core::ConfigKey> GroupConfigKeys() {
  using core::ConfigType;
  auto keys = MessageBenchConfigKeys();
  std::vector<core::ConfigKey> own = {
      {.name = "groups",
       .default_value = "127.0.0.1:7103",
       .help = "gRPC address of groups; only its port is used, to find its process for the CPU "
               "split (the bench reaches groups through the gateway)"},
      {.name = "members",
       .type = ConfigType::kInt,
       .default_value = "500",
       .help = "members of the group (the owner, 2 friends, the rest join by invitation), each "
               "with a push stream",
       .min = kCreateFriends + 1,
       .max = kMaxMembers},
      {.name = "senders",
       .type = ConfigType::kInt,
       .default_value = "4",
       .help = "members sending to the group, each one message in flight end to end (at most "
               "--members)",
       .min = 1,
       .max = kMaxMembers},
      {.name = "max_messages",
       .type = ConfigType::kInt,
       .default_value = "100000",
       .help = "sends per run at most (all senders together), besides --seconds",
       .min = 1,
       .max = 10'000'000},
  };
  keys.insert(keys.end(), own.begin(), own.end());
  return keys;
}

// What one run measured.
struct GroupRun {
  Summary echo;
  Deliveries group;
  CpuShares cpu;
  std::optional<PgCost> pg;  // nullopt without a probe, or if a reading failed
  int64_t pg_unsettled = 0;  // readings taken when the bound passed before the counters settled
};

class GroupBench final : public PushSink {
 public:
  explicit GroupBench(const core::Config& config)
      : config_(config),
        members_count_(static_cast<size_t>(config.Int("members"))),
        senders_(static_cast<size_t>(config.Int("senders"))),
        seconds_(config.Int("seconds")),
        runs_(config.Int("runs")),
        max_messages_(config.Int("max_messages")),
        echo_concurrency_(static_cast<int>(config.Int("echo_concurrency"))),
        setup_concurrency_(static_cast<int>(config.Int("setup_concurrency"))),
        channels_(std::max<size_t>(static_cast<size_t>(config.Int("channels")),
                                   (senders_ + kCallsPerChannel - 1) / kCallsPerChannel)),
        text_(MessageText(config.Int("text_bytes"))),
        pg_({.url = config.String("pg_url"), .max_connections = setup_concurrency_}),
        // Every sender is a lane whose audience is every member.
        ledger_(members_count_,
                std::vector<LaneAudience>(
                    senders_, LaneAudience{.first_device = 0, .devices = members_count_}),
                runs_),
        streams_(*this) {}

  size_t members() const { return members_count_; }
  size_t senders() const { return senders_; }
  size_t channels() const { return channels_; }
  int64_t group_id() const { return group_id_; }
  double setup_seconds() const { return setup_seconds_; }
  const CpuSplit& cpu() const { return cpu_; }
  bool has_pg_probe() const { return probe_ != nullptr; }
  bool has_pg_statements() const { return probe_ != nullptr && probe_->has_statements(); }
  const std::string& pg_probe_failure() const { return pg_probe_failure_; }
  const PgRates& pg_background() const { return pg_background_; }

  // Everything before the first run: users, the group, streams, the echo server, the processes
  // to watch, PostgreSQL's idle activity.
  absl::Status Setup() {
    const auto started = Clock::now();
    PLAZA_ASSIGN_OR_RETURN(auto identity,
                           ConnectForSending(config_, pg_, channels_, channels_held_, send_stubs_));
    const std::string gateway = config_.String("gateway");
    PLAZA_ASSIGN_OR_RETURN(
        members_,
        SignUpUsers(identity, pg_, static_cast<int64_t>(members_count_), setup_concurrency_));
    PLAZA_RETURN_IF_ERROR(FormGroup());
    std::vector<std::string> authorizations;
    for (const SyntheticUser& member : members_) authorizations.push_back(member.authorization());
    PLAZA_RETURN_IF_ERROR(
        streams_.Open(gateway, static_cast<int>(channels_), std::move(authorizations)));
    PLAZA_RETURN_IF_ERROR(echo_.Start());
    cpu_.Find(PlazaProcesses(config_, {"messaging", "groups", "identity"}));
    OpenPgProbe();
    setup_seconds_ = Seconds(Clock::now() - started);
    return absl::OkStatus();
  }

  // The unreported first second of sending.
  absl::Status WarmUp() {
    Deliveries warm = Send(0, kSendWarmUp);
    if (warm.acknowledged == 0) {
      return Unavailable("NO_SEND_ACKNOWLEDGED",
                         "warm-up: no send was acknowledged; failures: " + FailureList());
    }
    return absl::OkStatus();
  }

  absl::StatusOr<GroupRun> Run(int64_t run) {
    GroupRun result;
    std::optional<PgActivity> before, after;
    PLAZA_ASSIGN_OR_RETURN(
        result.echo,
        MeasureWithEcho(echo_, run, echo_concurrency_, std::chrono::seconds(seconds_), [&] {
          before = SettledReading(result);
          CpuReading cpu_before = CpuReading::Now();
          result.group = Send(run, std::chrono::seconds(seconds_));
          result.cpu = cpu_.Between(cpu_before, send_end_reading_);
          after = SettledReading(result);
        }));
    if (before && after) {
      result.pg = CostPerOperation(*before, *after, pg_background_, result.group.acknowledged);
    }
    if (!senders_finished_) {
      return Internal("SENDERS_STUCK", "the senders did not finish within their bound");
    }
    if (result.group.acknowledged == 0) {
      return Unavailable("NO_SEND_ACKNOWLEDGED",
                         "no send was acknowledged; failures: " + FailureList());
    }
    return result;
  }

  // User messages stored in the group's conversation.
  absl::StatusOr<int64_t> PersistedCount() { return CountUserMessages(pg_, {group_id_}); }

  // Acknowledged sends over all runs, warm-up included, that stored a new message.
  int64_t AcknowledgedTotal() const { return ledger_.Acknowledged(); }

  // Ends every stream and the probe's transaction; false if some stream did not end or a sender
  // is still busy, and then the bench must not be destroyed: their callbacks may still come.
  bool Close() {
    probe_.reset();
    return streams_.Close() && active_.load() == 0;
  }

  // What went wrong or was odd, over all runs, for the report.
  void AddCounts(Report& report) const {
    for (const auto& [kind, count] : send_failures_.Sorted()) {
      report.counts.emplace_back("send failed " + kind, count);
    }
    if (expired_ > 0) report.counts.emplace_back("gave up waiting for readers", expired_.load());
    streams_.AddCounts(report);
    if (notices_ > 0) report.counts.emplace_back("notices pushed", notices_.load());
    if (unexpected_ > 0) report.counts.emplace_back("unexpected messages pushed", unexpected_);
  }

  // PushSink.
  void OnMessagePushed(size_t device, const messaging_v1::Message& message,
                       Clock::time_point at) override {
    auto key = ParseMessageId(message.client_message_id());
    if (!key) {
      // The group's system notices (sender 0) may still be on their way from the setup.
      (message.sender_id() == 0 ? notices_ : unexpected_).fetch_add(1);
      return;
    }
    if (key->lane >= static_cast<int64_t>(senders_) || message.conversation_id() != group_id_ ||
        message.sender_id() != members_[static_cast<size_t>(key->lane)].user_id) {
      unexpected_.fetch_add(1);
      return;
    }
    const MessageRef ref{.lane = static_cast<size_t>(key->lane), .run = key->run, .n = key->n};
    auto read = ledger_.Arrive(ref, device, at);
    if (read.read == DeliveryLedger::Read::kNotARecipient ||
        read.read == DeliveryLedger::Read::kUnknownMessage) {
      unexpected_.fetch_add(1);
    }
    if (read.finished) Advance(ref);
  }

  void OnStreamLost(size_t device) override {
    for (const MessageRef& finished : ledger_.Offline(device)) Advance(finished);
  }

 private:
  // The owner (member 0) befriends members 1 and 2 and creates the group with them; everyone
  // else joins by the owner's invitation. All through the gateway, each with their own token.
  absl::Status FormGroup() {
    auto identity = identity_v1::IdentityService::NewStub(channels_held_.front());
    groups_ = groups_v1::GroupsService::NewStub(channels_held_.front());
    const SyntheticUser& owner = members_[0];
    for (size_t friend_index = 1; friend_index <= kCreateFriends; ++friend_index) {
      PLAZA_RETURN_IF_ERROR(MakeFriends(*identity, owner, members_[friend_index]));
    }
    {
      grpc::ClientContext context;
      SetCallDeadline(context);
      context.AddMetadata("authorization", owner.authorization());
      groups_v1::CreateGroupRequest request;
      request.set_client_request_id(fmt::format("bench.{}", std::random_device{}()));
      request.set_name("plaza-bench");
      for (size_t i = 1; i <= kCreateFriends; ++i) request.add_member_ids(members_[i].user_id);
      groups_v1::CreateGroupResponse response;
      PLAZA_RETURN_IF_ERROR(FromGrpc(groups_->CreateGroup(&context, request, &response), context));
      group_id_ = response.group().group_id();
    }
    std::string payload;
    {
      grpc::ClientContext context;
      SetCallDeadline(context);
      context.AddMetadata("authorization", owner.authorization());
      groups_v1::CreateInviteRequest request;
      request.set_group_id(group_id_);
      groups_v1::CreateInviteResponse response;
      PLAZA_RETURN_IF_ERROR(FromGrpc(groups_->CreateInvite(&context, request, &response), context));
      payload = response.invite().payload();
    }
    const auto joiners = static_cast<int64_t>(members_count_) - kCreateFriends - 1;
    // Not inside PLAZA_RETURN_IF_ERROR: the step uses it too.
    absl::Status joined = ForEachIndex("join", joiners, setup_concurrency_, [&](int64_t index) {
      const SyntheticUser& user = members_[static_cast<size_t>(index + kCreateFriends + 1)];
      grpc::ClientContext context;
      SetCallDeadline(context);
      context.AddMetadata("authorization", user.authorization());
      groups_v1::JoinByInviteRequest request;
      request.set_payload(payload);
      groups_v1::JoinByInviteResponse response;
      PLAZA_RETURN_IF_ERROR(FromGrpc(groups_->JoinByInvite(&context, request, &response), context));
      if (response.outcome() != groups_v1::JOIN_OUTCOME_JOINED) {
        return FailedPrecondition(
            "NOT_JOINED",
            "JoinByInvite answered " + groups_v1::JoinOutcome_Name(response.outcome()));
      }
      return absl::OkStatus();
    });
    PLAZA_RETURN_IF_ERROR(joined);
    // The group as its owner sees it: every member must be in.
    grpc::ClientContext context;
    SetCallDeadline(context);
    context.AddMetadata("authorization", owner.authorization());
    groups_v1::GetGroupRequest request;
    request.set_group_id(group_id_);
    groups_v1::GetGroupResponse response;
    PLAZA_RETURN_IF_ERROR(FromGrpc(groups_->GetGroup(&context, request, &response), context));
    if (response.group().member_count() != static_cast<int64_t>(members_count_)) {
      return Internal("GROUP_INCOMPLETE",
                      fmt::format("the group has {} members, not {}",
                                  response.group().member_count(), members_count_));
    }
    std::cerr << fmt::format("group {} has {} members\n", group_id_, members_count_);
    return absl::OkStatus();
  }

  // The statistics probe and the idle cluster's own activity. Without them the run goes on and
  // the report says why the PostgreSQL figures are missing.
  void OpenPgProbe() {
    auto probe = PgProbe::Open(config_.String("pg_url"), "messaging");
    if (!probe.ok()) {
      pg_probe_failure_ = probe.status().ToString();
      return;
    }
    probe_ = *std::move(probe);
    load_ended_ = Clock::now();
    auto settled = probe_->Settle(load_ended_, kPgQuiet, kPgSettleBound);
    if (!settled.ok()) {
      pg_probe_failure_ = settled.status().ToString();
      probe_.reset();
      return;
    }
    std::this_thread::sleep_for(kPgBackground);
    auto later = probe_->Read();
    if (!later.ok()) {
      pg_probe_failure_ = later.status().ToString();
      probe_.reset();
      return;
    }
    pg_background_ = RatesBetween(settled->reading, *later);
    std::cerr << fmt::format(
        "postgres while idle: {:.1f} rows/s in messaging, {:.1f} commits/s{}\n",
        pg_background_.rows_per_second, pg_background_.xact_per_second,
        probe_->has_statements()
            ? fmt::format(", {:.1f} statements/s", pg_background_.statements_per_second)
            : "");
  }

  // A reading that includes everything up to the last load; nullopt without a probe or on
  // failure. Reused until the next load: a run's reading after its sends is the next run's
  // reading before them (its echo does not touch PostgreSQL).
  std::optional<PgActivity> SettledReading(GroupRun& result) {
    if (!probe_) return std::nullopt;
    if (last_reading_) return last_reading_;
    auto settled = probe_->Settle(load_ended_, kPgQuiet, kPgSettleBound);
    if (!settled.ok()) {
      pg_probe_failure_ = settled.status().ToString();
      return std::nullopt;
    }
    if (!settled->settled) ++result.pg_unsettled;
    last_reading_ = settled->reading;
    return last_reading_;
  }

  // The senders send for `duration` (and at most --max-messages in all), each with one message
  // in flight end to end. Leaves the CPU reading at the end in send_end_reading_.
  Deliveries Send(int64_t run, Clock::duration duration) {
    const auto start = Clock::now();
    send_until_ = start + duration;
    active_.store(static_cast<int64_t>(senders_));
    for (size_t s = 0; s < senders_; ++s) StartSend(s, run);
    // Every send has a deadline and every wait for readers kDeliveryWait, so this ends; the
    // bound only guards against a bug.
    const auto bound = send_until_ + kCallTimeout + kDeliveryWait + std::chrono::seconds(10);
    while (active_.load() > 0 && Clock::now() < bound) {
      const auto cutoff = Clock::now() - kDeliveryWait;
      for (size_t s = 0; s < senders_; ++s) {
        const int64_t n = ledger_.Begun(s, run) - 1;
        const MessageRef current{.lane = s, .run = run, .n = n};
        if (n >= 0 && ledger_.Expire(current, cutoff)) {
          expired_.fetch_add(1);
          Advance(current);
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    senders_finished_ = active_.load() == 0;
    send_end_reading_ = CpuReading::Now();
    load_ended_ = send_end_reading_.at;
    last_reading_.reset();
    std::this_thread::sleep_for(kDuplicateSettle);
    return SummarizeDeliveries(ledger_.Messages(run, start));
  }

  // Sender s's next message of `run`.
  void StartSend(size_t s, int64_t run) {
    const MessageRef message = ledger_.Begin(s, run, s, Clock::now());
    SendText(*send_stubs_[s % send_stubs_.size()], members_[s].authorization(), group_id_,
             FormatMessageId({.run = run, .lane = static_cast<int64_t>(s), .n = message.n}), text_,
             [this, message](const absl::Status& status, std::chrono::milliseconds wait) {
               OnSent(message, status, wait);
             });
  }

  void OnSent(const MessageRef& message, const absl::Status& status,
              std::chrono::milliseconds retry_after) {
    if (status.ok()) {
      if (ledger_.Acknowledge(message, Clock::now())) Advance(message);
      return;
    }
    send_failures_.Add(FailureKind(status));
    ledger_.Fail(message);
    if (Clock::now() >= send_until_) {
      active_.fetch_sub(1);
      return;
    }
    // As a client would: back off before sending again, as long as the gateway's hint says for
    // a refusal for rate or overload.
    timers_.After(retry_after, [this, message] { Advance(message); });
  }

  // `message` is finished: its sender sends the next one, or stops.
  void Advance(const MessageRef& message) {
    if (Clock::now() >= send_until_ || ledger_.Begun(message.run) >= max_messages_) {
      active_.fetch_sub(1);
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
  const size_t members_count_;
  const size_t senders_;
  const int64_t seconds_;
  const int64_t runs_;
  const int64_t max_messages_;
  const int echo_concurrency_;
  const int setup_concurrency_;
  const size_t channels_;
  const std::string text_;
  pg::Pool pg_;
  EchoBaseline echo_;
  std::vector<std::shared_ptr<grpc::Channel>> channels_held_;
  std::vector<std::unique_ptr<MessagingStub>> send_stubs_;
  std::unique_ptr<groups_v1::GroupsService::Stub> groups_;
  std::vector<SyntheticUser> members_;
  int64_t group_id_ = 0;
  CpuSplit cpu_;
  double setup_seconds_ = 0;
  std::unique_ptr<PgProbe> probe_;
  std::string pg_probe_failure_;
  PgRates pg_background_;
  Clock::time_point load_ended_;            // the end of the last sends (or of the setup)
  std::optional<PgActivity> last_reading_;  // settled since then

  DeliveryLedger ledger_;
  PushStreams streams_;
  Timers timers_;
  // Sending: set by the main thread before a run's first send, read by the callbacks.
  Clock::time_point send_until_;
  std::atomic<int64_t> active_{0};  // senders still sending in this run
  bool senders_finished_ = true;
  CpuReading send_end_reading_;
  Tally send_failures_;
  std::atomic<int64_t> expired_{0};
  std::atomic<int64_t> notices_{0};
  std::atomic<int64_t> unexpected_{0};
};

// The median over runs of each table's rows per send (0 in a run that did not write it).
std::map<std::string, double> MedianRowsByTable(const std::vector<PgCost>& runs) {
  std::set<std::string> tables;
  for (const PgCost& run : runs) {
    for (const auto& [table, rows] : run.rows_by_table) tables.insert(table);
  }
  std::map<std::string, double> medians;
  for (const std::string& table : tables) {
    std::vector<double> values;
    for (const PgCost& run : runs) {
      auto it = run.rows_by_table.find(table);
      values.push_back(it == run.rows_by_table.end() ? 0 : it->second);
    }
    medians[table] = Median(values);
  }
  return medians;
}

}  // namespace

int RunGroupScenario(int argc, const char* const* argv) {
  auto config = core::Config::LoadOrExit(GroupConfigKeys(), argc, argv);
  core::InitLogging("bench", config.String("log_level"));
  if (config.Int("senders") > config.Int("members")) {
    std::cerr << "plaza-bench group: --senders must not exceed --members\n";
    return 2;
  }
  auto bench = std::make_unique<GroupBench>(config);
  return RunMessageBench("group", *bench, [&]() -> int {
    const int64_t runs = config.Int("runs");
    std::vector<Summary> echo, send, fanout;
    std::vector<double> deliveries_per_second, ratios;
    std::vector<CpuShares> cpu;
    std::vector<PgCost> pg;
    int64_t undelivered = 0, missed = 0, delivered_unacked = 0, duplicates = 0, measured = 0;
    int64_t pg_unsettled = 0;
    for (int64_t run = 1; run <= runs; ++run) {
      auto result = bench->Run(run);
      if (!result.ok()) {
        std::cerr << "plaza-bench group: run " << run << ": " << result.status().ToString() << "\n";
        return 1;
      }
      const Deliveries& group = result->group;
      echo.push_back(result->echo);
      send.push_back(group.sent);
      fanout.push_back(group.delivered);
      deliveries_per_second.push_back(group.deliveries_per_second);
      ratios.push_back(result->echo.per_second > 0
                           ? group.deliveries_per_second / result->echo.per_second
                           : std::numeric_limits<double>::quiet_NaN());
      cpu.push_back(result->cpu);
      if (result->pg) pg.push_back(*result->pg);
      undelivered += group.undelivered;
      missed += group.missed_deliveries;
      delivered_unacked += group.delivered_unacknowledged;
      duplicates += group.duplicates;
      measured += group.acknowledged;
      pg_unsettled += result->pg_unsettled;
      std::cerr << fmt::format(
          "run {}/{}: echo {:.0f}/s, {} sent, {:.0f}/s, deliveries {:.0f}/s, to all {:.0f}/s "
          "(p50 {:.2f} ms, p99 {:.2f} ms){}, cpu {}\n",
          run, runs, result->echo.per_second, group.acknowledged, group.sent.per_second,
          group.deliveries_per_second, group.delivered.per_second, group.delivered.p50_ms,
          group.delivered.p99_ms,
          result->pg ? fmt::format(", postgres per send: {:.2f} rows, {:.2f} commits",
                                   result->pg->rows, result->pg->xact)
                     : "",
          bench->cpu().Line(result->cpu));
    }

    auto persisted = bench->PersistedCount();
    const int64_t acknowledged = bench->AcknowledgedTotal();

    Report report{
        .scenario = "group",
        .parameters = {{"runs", runs},
                       {"seconds", config.Int("seconds")},
                       {"members", static_cast<int64_t>(bench->members())},
                       {"senders", static_cast<int64_t>(bench->senders())},
                       {"max_messages", config.Int("max_messages")},
                       {"channels", static_cast<int64_t>(bench->channels())},
                       {"echo_concurrency", config.Int("echo_concurrency")},
                       {"text_bytes", config.Int("text_bytes")}},
        .operations = {{"echo", MedianOfRuns(echo)},
                       {"send", MedianOfRuns(send)},
                       {"fanout", MedianOfRuns(fanout)}},
        .ratios = {{"deliveries/echo", MedianOf(ratios)}},
    };
    report.figures.emplace_back("deliveries_per_second", MedianOf(deliveries_per_second));
    report.figures.emplace_back("recipients_per_message",
                                static_cast<double>(bench->members() - 1));
    const double unknown = std::numeric_limits<double>::quiet_NaN();
    auto median_pg = [&](double PgCost::*field) {
      if (static_cast<int64_t>(pg.size()) != runs) return unknown;
      std::vector<double> values;
      values.reserve(pg.size());
      for (const PgCost& cost : pg) values.push_back(cost.*field);
      return MedianOf(values);
    };
    report.figures.emplace_back("pg_rows_per_send", median_pg(&PgCost::rows));
    report.figures.emplace_back("pg_xact_per_send", median_pg(&PgCost::xact));
    report.figures.emplace_back("pg_statements_per_send", median_pg(&PgCost::statements));
    if (static_cast<int64_t>(pg.size()) == runs) {
      for (const auto& [table, rows] : MedianRowsByTable(pg)) {
        report.figures.emplace_back("pg_rows_per_send messaging." + table, rows);
      }
      report.figures.emplace_back("pg_idle_xact_per_second",
                                  bench->pg_background().xact_per_second);
      if (bench->has_pg_statements()) {
        report.figures.emplace_back("pg_idle_statements_per_second",
                                    bench->pg_background().statements_per_second);
      }
    }
    bench->cpu().AddFigures(report, cpu);
    report.figures.emplace_back("setup_seconds", bench->setup_seconds());

    const int code = CheckPersisted(report, persisted, acknowledged);
    report.counts.emplace_back("acknowledged in the runs", measured);
    report.counts.emplace_back("undelivered (missed by a recipient)", undelivered);
    report.counts.emplace_back("missed deliveries", missed);
    report.counts.emplace_back("delivered twice", duplicates);
    report.counts.emplace_back("delivered without ack", delivered_unacked);
    if (pg_unsettled > 0) {
      report.counts.emplace_back("pg statistics read before they settled", pg_unsettled);
    }
    bench->AddCounts(report);

    if (!bench->has_pg_probe() || static_cast<int64_t>(pg.size()) != runs) {
      report.notes.push_back("postgres cost per send not measured: " + bench->pg_probe_failure());
    } else if (!bench->has_pg_statements()) {
      report.notes.emplace_back(
          "pg_statements_per_send needs pg_stat_statements (shared_preload_libraries and CREATE "
          "EXTENSION in the database)");
    }
    std::cout << (config.Bool("json") ? RenderJson(report) : RenderTable(report)) << std::flush;
    return code;
  });
}

}  // namespace plaza::bench
