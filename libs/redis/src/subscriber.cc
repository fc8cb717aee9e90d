#include "plaza/redis/subscriber.h"

#include <hiredis/hiredis.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <stdexcept>
#include <utility>

#include "connect.h"

namespace plaza::redis {
namespace {

// Names here must differ from those of the other sources of this library: a unity build compiles
// them into one translation unit.

struct SubscriberReplyDeleter {
  void operator()(redisReply* reply) const { freeReplyObject(reply); }
};
using SubscriberReplyPtr = std::unique_ptr<redisReply, SubscriberReplyDeleter>;

std::string_view StringOf(const redisReply* reply) {
  if (reply->type != REDIS_REPLY_STRING && reply->type != REDIS_REPLY_STATUS) return {};
  return {reply->str, reply->len};
}

// Writes everything hiredis has buffered; false if the connection failed.
bool FlushOutput(redisContext* context) {
  int done = 0;
  while (done == 0) {
    if (redisBufferWrite(context, &done) != REDIS_OK) return false;
  }
  return true;
}

bool Queue(redisContext* context, const std::vector<std::string_view>& args) {
  std::vector<const char*> data;
  std::vector<size_t> sizes;
  for (std::string_view arg : args) {
    data.push_back(arg.data());
    sizes.push_back(arg.size());
  }
  return redisAppendCommandArgv(context, static_cast<int>(args.size()), data.data(),
                                sizes.data()) == REDIS_OK;
}

// The subscriber whose thread this is, so that Stop() from a callback does not join itself.
thread_local const Subscriber* current_subscriber = nullptr;

std::chrono::milliseconds MillisecondsUntil(std::chrono::steady_clock::time_point deadline) {
  auto left =
      std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  return std::max(left, std::chrono::milliseconds(0));
}

}  // namespace

Subscriber::Subscriber(SubscriberOptions options)
    : options_(std::move(options)),
      endpoint_(ParseUrl(options_.url)),
      address_(internal::Address(endpoint_)) {
  if (options_.channels.empty()) {
    throw std::invalid_argument("Redis subscriber: at least one channel is needed");
  }
  if (!options_.on_message) {
    throw std::invalid_argument("Redis subscriber: on_message is required");
  }
  if (options_.connect_timeout.count() <= 0 || options_.min_backoff.count() <= 0 ||
      options_.max_backoff < options_.min_backoff || options_.health_check_interval.count() <= 0) {
    throw std::invalid_argument(
        "Redis subscriber: timeouts and backoffs must be positive, max_backoff >= min_backoff");
  }
  wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) {
    throw std::runtime_error(std::string("Redis subscriber: eventfd: ") + std::strerror(errno));
  }
  internal::IgnoreSigpipe();
  thread_ = std::thread([this] { Run(); });
}

Subscriber::~Subscriber() {
  Stop();
  close(wake_fd_);
}

void Subscriber::Stop() {
  stopping_.store(true);
  const uint64_t one = 1;
  // Only fails if the counter would overflow, and then the thread is woken anyway.
  static_cast<void>(write(wake_fd_, &one, sizeof one));
  if (current_subscriber == this) return;
  std::lock_guard lock(join_mutex_);
  if (thread_.joinable()) thread_.join();
}

bool Subscriber::WaitSubscribed(std::chrono::milliseconds timeout) {
  std::unique_lock lock(state_mutex_);
  return subscribed_changed_.wait_for(lock, timeout, [this] { return subscribed_.load(); });
}

void Subscriber::SetSubscribed(bool subscribed) {
  {
    std::lock_guard lock(state_mutex_);
    subscribed_.store(subscribed);
  }
  subscribed_changed_.notify_all();
}

bool Subscriber::Sleep(std::chrono::milliseconds duration) {
  pollfd wake{.fd = wake_fd_, .events = POLLIN, .revents = 0};
  const auto deadline = std::chrono::steady_clock::now() + duration;
  while (!stopping_.load()) {
    auto left = MillisecondsUntil(deadline);
    if (left.count() == 0) return true;
    poll(&wake, 1, static_cast<int>(left.count()));
  }
  return false;
}

void Subscriber::Run() {
  current_subscriber = this;
  std::chrono::milliseconds backoff = options_.min_backoff;
  while (!stopping_.load()) {
    bool reached_subscribed = false;
    RunConnection(reached_subscribed);
    SetSubscribed(false);
    // After a healthy subscription the first retry comes quickly; repeated failures back off.
    if (reached_subscribed) backoff = options_.min_backoff;
    if (!Sleep(backoff)) break;
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
}

void Subscriber::RunConnection(bool& reached_subscribed) {
  auto connected = internal::Connect(endpoint_, options_.connect_timeout, options_.connect_timeout);
  if (!connected.ok()) return;  // Connect() logged why
  redisContext* const context = connected->get();
  auto lost = [&](std::string_view why) {
    spdlog::warn("redis {}: subscriber connection lost: {}", address_,
                 context->err != 0 ? std::string_view(context->errstr) : why);
  };

  std::vector<std::string_view> subscribe = {"SUBSCRIBE"};
  subscribe.insert(subscribe.end(), options_.channels.begin(), options_.channels.end());
  if (!Queue(context, subscribe) || !FlushOutput(context)) return lost("cannot subscribe");

  size_t unconfirmed = options_.channels.size();
  bool ping_sent = false;
  auto quiet_until = std::chrono::steady_clock::now() + options_.health_check_interval;
  std::array<pollfd, 2> fds = {pollfd{.fd = context->fd, .events = POLLIN, .revents = 0},
                               pollfd{.fd = wake_fd_, .events = POLLIN, .revents = 0}};
  while (!stopping_.load()) {
    // Everything already read and parsed goes out first, without touching the socket.
    void* raw = nullptr;
    if (redisGetReplyFromReader(context, &raw) != REDIS_OK) return lost("protocol error");
    if (raw != nullptr) {
      SubscriberReplyPtr reply(static_cast<redisReply*>(raw));
      quiet_until = std::chrono::steady_clock::now() + options_.health_check_interval;
      ping_sent = false;
      if (reply->type == REDIS_REPLY_ERROR) {
        spdlog::error("redis {}: subscriber got an error: {}", address_, StringOf(reply.get()));
        return;
      }
      if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 1) continue;
      std::string_view kind = StringOf(reply->element[0]);
      if (kind == "message" && reply->elements == 3) {
        options_.on_message(StringOf(reply->element[1]), StringOf(reply->element[2]));
      } else if (kind == "subscribe" && unconfirmed > 0 && --unconfirmed == 0) {
        reached_subscribed = true;
        SetSubscribed(true);
        spdlog::debug("redis {}: subscribed to {} channel(s)", address_, options_.channels.size());
        if (options_.on_subscribed) options_.on_subscribed();
      }
      // "pong" (the health check's answer) needs nothing more.
      continue;
    }

    auto wait = MillisecondsUntil(quiet_until);
    if (wait.count() == 0) {
      if (ping_sent) return lost("no answer to PING");
      if (!Queue(context, {"PING"}) || !FlushOutput(context)) return lost("cannot send PING");
      ping_sent = true;
      quiet_until = std::chrono::steady_clock::now() + options_.health_check_interval;
      continue;
    }
    fds[0].revents = fds[1].revents = 0;
    int ready = poll(fds.data(), fds.size(), static_cast<int>(wait.count()));
    if (ready < 0 && errno != EINTR) return lost(std::strerror(errno));
    if (fds[1].revents != 0) return;  // Stop()
    // Hang-ups and errors are readable too: the read then fails and says why.
    if (fds[0].revents != 0 && redisBufferRead(context) != REDIS_OK) return lost("read failed");
  }
}

}  // namespace plaza::redis
