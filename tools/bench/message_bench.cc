#include "tools/bench/message_bench.h"

#include <spdlog/fmt/fmt.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <thread>

#include "plaza/core/status.h"
#include "tools/bench/client.h"
#include "tools/bench/load.h"

namespace plaza::bench {
namespace {

namespace gateway_v1 = plaza::gateway::v1;
namespace messaging_v1 = plaza::messaging::v1;

}  // namespace

std::vector<core::ConfigKey> MessageBenchConfigKeys() {
  using core::ConfigType;
  return {
      {.name = "gateway",
       .default_value = "127.0.0.1:7000",
       .help = "gRPC address of the gateway: every call of the users, and their push streams"},
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
      {.name = "seconds",
       .type = ConfigType::kInt,
       .default_value = "5",
       .help = "length of each measurement",
       .min = 1,
       .max = 600},
      {.name = "runs",
       .type = ConfigType::kInt,
       .default_value = "3",
       .help = "runs, each measuring echo and the messages; the report shows their medians",
       .min = 1,
       .max = 100},
      {.name = "channels",
       .type = ConfigType::kInt,
       .default_value = "8",
       .help = "channels (TCP connections) to the gateway for the sends, senders spread round "
               "robin; raised to ceil(senders / 90) if lower (100 calls per connection)",
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
       .help = "client threads for the setup: sign-ups, friendships, joins (not measured)",
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

std::string MessageText(int64_t text_bytes) {
  const std::string pattern = "plaza-bench message ";
  std::string text;
  for (int64_t i = 0; i < text_bytes; ++i) text += pattern[static_cast<size_t>(i) % pattern.size()];
  return text;
}

absl::Status ForEachIndex(std::string_view what, int64_t count, int concurrency,
                          const std::function<absl::Status(int64_t index)>& step) {
  if (count <= 0) return absl::OkStatus();
  LoadOptions options{.name = std::string(what),
                      .concurrency = concurrency,
                      .duration = std::chrono::minutes(30),
                      .max_operations = count};
  std::mutex mutex;
  absl::Status first_failure;
  auto summary = RunClosedLoop(options, [&](int64_t index) -> absl::Status {
    absl::Status status = step(index);
    if (!status.ok()) {
      std::lock_guard lock(mutex);
      if (first_failure.ok()) first_failure = status;
    }
    return status;
  });
  if (!summary.ok()) return summary.status();
  if (summary->errors > 0) {
    return Error(first_failure.code(), ReasonOf(first_failure),
                 fmt::format("{}: {} of {} failed; first: {}", what, summary->errors, count,
                             first_failure.ToString()));
  }
  return absl::OkStatus();
}

std::vector<CpuTarget> PlazaProcesses(const core::Config& config,
                                      const std::vector<std::string>& services) {
  std::vector<CpuTarget> targets{{"gateway", config.String("gateway"), 0}};
  for (const std::string& service : services) {
    targets.push_back({service, config.String(service), 0});
  }
  targets.push_back({"postgres", config.String("pg_url"), 5432});
  targets.push_back({"redis", config.String("redis_url"), 6379});
  return targets;
}

absl::StatusOr<std::shared_ptr<grpc::Channel>> ConnectForSending(
    const core::Config& config, pg::Pool& pg, size_t count,
    std::vector<std::shared_ptr<grpc::Channel>>& channels,
    std::vector<std::unique_ptr<messaging_v1::MessagingService::Stub>>& stubs) {
  if (auto ping = pg.Ping(); !ping.ok()) {
    return Unavailable("PG_UNREACHABLE", "PostgreSQL at --pg-url: " + std::string(ping.message()));
  }
  for (size_t i = 0; i < count; ++i) {
    PLAZA_ASSIGN_OR_RETURN(auto channel, ConnectOwn(config.String("gateway"), static_cast<int>(i)));
    stubs.push_back(messaging_v1::MessagingService::NewStub(channel));
    channels.push_back(std::move(channel));
  }
  return Connect(config.String("identity"));
}

absl::StatusOr<std::vector<SyntheticUser>> SignUpUsers(std::shared_ptr<grpc::Channel> identity,
                                                       pg::Pool& pg, int64_t count,
                                                       int concurrency) {
  SyntheticUsers users(std::move(identity), pg);
  std::vector<SyntheticUser> signed_up(static_cast<size_t>(count));
  const auto started = BenchClock::now();
  PLAZA_RETURN_IF_ERROR(ForEachIndex("sign-up", count, concurrency, [&](int64_t index) {
    auto user = users.SignUp();
    if (!user.ok()) return user.status();
    signed_up[static_cast<size_t>(index)] = *std::move(user);
    return absl::OkStatus();
  }));
  std::cerr << fmt::format("signed up {} users ({:.0f}/s)\n", count,
                           static_cast<double>(count) / Seconds(BenchClock::now() - started));
  return signed_up;
}

// --- PushStreams ---------------------------------------------------------------------------

absl::Status PushStreams::Open(const std::string& gateway, int first_channel,
                               std::vector<std::string> authorizations) {
  authorizations_ = std::move(authorizations);
  const size_t devices = authorizations_.size();
  for (size_t i = 0; i < (devices + kCallsPerChannel - 1) / kCallsPerChannel; ++i) {
    PLAZA_ASSIGN_OR_RETURN(auto channel, ConnectOwn(gateway, first_channel + static_cast<int>(i)));
    stubs_.push_back(gateway_v1::PushService::NewStub(channel));
    channels_.push_back(std::move(channel));
  }
  {
    std::lock_guard lock(mutex_);
    for (size_t device = 0; device < devices; ++device) to_open_.push_back(device);
  }
  const auto give_up = BenchClock::now() + kOpenTimeout;
  while (true) {
    PushStream* stream = nullptr;
    {
      std::lock_guard lock(mutex_);
      if (!open_failure_.ok()) {
        return Error(open_failure_.code(), ReasonOf(open_failure_),
                     "opening a push stream: " + open_failure_.ToString());
      }
      if (connected_ == static_cast<int64_t>(devices)) break;
      auto now = BenchClock::now();
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
    stream->Start(*stubs_[device / kCallsPerChannel], authorizations_[device]);
  }
  std::cerr << fmt::format("opened {} push streams\n", devices);
  return absl::OkStatus();
}

bool PushStreams::Close() {
  closing_.store(true);
  std::vector<PushStream*> attempts;
  {
    std::lock_guard lock(mutex_);
    for (auto& attempt : attempts_) attempts.push_back(attempt.get());
  }
  for (PushStream* attempt : attempts) attempt->Cancel();
  auto give_up = BenchClock::now() + std::chrono::seconds(10);
  while (ended_.load() < static_cast<int64_t>(attempts.size()) && BenchClock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return ended_.load() == static_cast<int64_t>(attempts.size());
}

void PushStreams::AddCounts(Report& report) const {
  for (const auto& [kind, count] : open_retries_.Sorted()) {
    report.counts.emplace_back("stream open retried " + kind, count);
  }
  for (const auto& [kind, count] : ended_early_.Sorted()) {
    report.counts.emplace_back("stream ended early " + kind, count);
  }
  if (other_events_ > 0) report.counts.emplace_back("other events pushed", other_events_.load());
  if (heartbeats_ > 0) report.counts.emplace_back("heartbeats", heartbeats_.load());
  if (resyncs_ > 0) report.counts.emplace_back("resyncs", resyncs_.load());
}

void PushStreams::OnPushConnected(PushStream&, BenchClock::time_point) {
  std::lock_guard lock(mutex_);
  --opening_;
  ++connected_;
}

void PushStreams::OnPushEvent(PushStream& stream, const plaza::events::v1::Event& event,
                              BenchClock::time_point at) {
  if (!event.has_message_changed()) {
    other_events_.fetch_add(1);
    return;
  }
  sink_.OnMessagePushed(stream.device(), event.message_changed().message(), at);
}

void PushStreams::OnPushOther(PushStream&, gateway_v1::ConnectResponse::KindCase kind) {
  if (kind == gateway_v1::ConnectResponse::kHeartbeat) heartbeats_.fetch_add(1);
  if (kind == gateway_v1::ConnectResponse::kResync) resyncs_.fetch_add(1);
}

void PushStreams::OnPushDone(PushStream& stream, const absl::Status& status,
                             std::chrono::milliseconds retry_after) {
  bool lost = false;
  {
    std::lock_guard lock(mutex_);
    if (!stream.connected()) {
      --opening_;
      if (status.code() == absl::StatusCode::kResourceExhausted && !closing_.load()) {
        open_retries_.Add(FailureKind(status));
        // The limit is per client address, shared by every stream here: hold all starts back.
        pause_until_ = std::max(pause_until_, BenchClock::now() + retry_after);
        to_open_.push_back(stream.device());
      } else if (!closing_.load() && open_failure_.ok()) {
        open_failure_ = status;
      }
    } else if (!closing_.load()) {
      --connected_;
      ended_early_.Add(FailureKind(status));
      lost = true;
    }
  }
  if (lost) sink_.OnStreamLost(stream.device());
  // Last: after this the stream may be destroyed.
  ended_.fetch_add(1);
}

// --- SendText, Timers ------------------------------------------------------------------------

namespace {

// One SendMessage call in flight; it owns what gRPC reads and writes until the callback.
struct SendCall {
  grpc::ClientContext context;
  messaging_v1::SendMessageRequest request;
  messaging_v1::SendMessageResponse response;
  SendDone done;
};

}  // namespace

void SendText(messaging_v1::MessagingService::Stub& stub, const std::string& authorization,
              int64_t conversation_id, std::string client_message_id, const std::string& text,
              SendDone done) {
  auto call = std::make_unique<SendCall>();
  SetCallDeadline(call->context);
  call->context.AddMetadata("authorization", authorization);
  call->request.set_conversation_id(conversation_id);
  call->request.set_client_message_id(std::move(client_message_id));
  call->request.mutable_content()->mutable_text()->set_text(text);
  call->done = std::move(done);
  SendCall* raw = call.release();
  stub.async()->SendMessage(
      &raw->context, &raw->request, &raw->response, [raw](const grpc::Status& grpc_status) {
        std::unique_ptr<SendCall> owned(raw);
        absl::Status status = FromGrpc(grpc_status, owned->context);
        const messaging_v1::Message& message = owned->response.message();
        if (status.ok() && (message.conversation_id() != owned->request.conversation_id() ||
                            message.client_message_id() != owned->request.client_message_id())) {
          status = Internal("WRONG_ACK", "the acknowledgement names another message");
        }
        if (status.ok() && owned->response.duplicate()) {
          status = AlreadyExists("DUPLICATE", "acknowledged as a duplicate");
        }
        const auto retry_after = status.code() == absl::StatusCode::kResourceExhausted
                                     ? RetryAfter(owned->context, kDefaultRetryAfter)
                                     : kFailureBackOff;
        owned->done(status, retry_after);
      });
}

void Timers::After(std::chrono::milliseconds wait, std::function<void()> callback) {
  auto alarm = std::make_unique<grpc::Alarm>();
  grpc::Alarm* raw = alarm.get();
  {
    std::lock_guard lock(mutex_);
    alarms_.push_back(std::move(alarm));
  }
  raw->Set(std::chrono::system_clock::now() + wait, [later = std::move(callback)](bool ok) {
    if (ok) later();
  });
}

// --- CPU -------------------------------------------------------------------------------------

CpuReading CpuReading::Now() {
  return {.at = BenchClock::now(), .all = ReadAllProcStats(), .machine = ReadMachineCpu()};
}

void CpuSplit::Find(const std::vector<CpuTarget>& targets) {
  for (const CpuTarget& target : targets) {
    Watched watched{.name = target.name};
    auto port = ParsePort(target.address, target.default_port);
    if (!port || *port <= 0) {
      watched.why_not = "no port in its address";
    } else if (auto pid = PidListeningOn(*port)) {
      watched.root = *pid;
    } else {
      watched.why_not = fmt::format("no process of this machine listens on port {}", *port);
    }
    watched_.push_back(std::move(watched));
  }
  watched_.push_back({.name = "bench", .root = static_cast<int>(getpid())});
  for (const Watched& watched : watched_) {
    if (watched.root != 0) {
      std::cerr << fmt::format("cpu: {} is pid {} ({})\n", watched.name, watched.root,
                               ProcessName(watched.root));
    }
  }
}

CpuShares CpuSplit::Between(const CpuReading& before, const CpuReading& after) const {
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

std::string CpuSplit::Line(const CpuShares& shares) const {
  std::string line;
  for (const Watched& watched : watched_) {
    auto it = shares.cores.find(watched.name);
    line += fmt::format("{} {:.2f} ", watched.name,
                        it == shares.cores.end() ? std::nan("") : it->second);
  }
  return line + fmt::format("machine {:.2f}", shares.machine_busy);
}

void CpuSplit::AddFigures(Report& report, const std::vector<CpuShares>& runs) const {
  for (const Watched& watched : watched_) {
    std::vector<double> cores;
    for (const CpuShares& run : runs) {
      auto it = run.cores.find(watched.name);
      cores.push_back(it == run.cores.end() ? std::nan("") : it->second);
    }
    report.figures.emplace_back("cpu_" + watched.name + "_cores", MedianOf(cores));
    if (watched.root == 0) {
      report.notes.push_back(
          fmt::format("cpu of {} not measured: {}", watched.name, watched.why_not));
    }
  }
  std::vector<double> machine;
  machine.reserve(runs.size());
  for (const CpuShares& run : runs) machine.push_back(run.machine_busy);
  report.figures.emplace_back("cpu_machine_busy_cores", MedianOf(machine));
}

// --- Runs and results ------------------------------------------------------------------------

absl::StatusOr<Summary> MeasureWithEcho(EchoBaseline& echo, int64_t run, int concurrency,
                                        std::chrono::seconds seconds,
                                        const std::function<void()>& body) {
  LoadOptions options{.name = "echo", .concurrency = concurrency, .duration = seconds};
  absl::StatusOr<Summary> result;
  if (run % 2 == 1) result = echo.MeasureCallbacks(options);
  body();
  if (run % 2 == 0) result = echo.MeasureCallbacks(options);
  return result;
}

double MedianOf(const std::vector<double>& values) {
  for (double value : values) {
    if (!std::isfinite(value)) return std::numeric_limits<double>::quiet_NaN();
  }
  return values.empty() ? std::numeric_limits<double>::quiet_NaN() : Median(values);
}

absl::StatusOr<int64_t> CountUserMessages(pg::Pool& pg,
                                          const std::vector<int64_t>& conversation_ids) {
  std::string ids = "{";
  for (int64_t id : conversation_ids) ids += (ids.size() > 1 ? "," : "") + std::to_string(id);
  ids += "}";
  return pg.Transact([&](pqxx::work& tx) -> absl::StatusOr<int64_t> {
    return tx
        .exec_params1(
            "SELECT count(*) FROM messaging.messages "
            "WHERE conversation_id = ANY($1::bigint[]) AND sender_id <> 0",
            ids)[0]
        .as<int64_t>();
  });
}

int CheckPersisted(Report& report, const absl::StatusOr<int64_t>& persisted, int64_t acknowledged) {
  report.counts.emplace_back("acknowledged (all runs and warm-up)", acknowledged);
  if (!persisted.ok()) {
    report.notes.push_back("persisted count unknown: " + persisted.status().ToString());
    return 1;
  }
  report.counts.emplace_back("persisted", *persisted);
  if (*persisted != acknowledged) {
    report.notes.push_back(fmt::format(
        "persisted != acknowledged: {} rows in messaging.messages, {} sends acknowledged",
        *persisted, acknowledged));
    return 1;
  }
  report.notes.emplace_back("persisted == acknowledged: met");
  return 0;
}

}  // namespace plaza::bench
