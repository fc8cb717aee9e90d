#include "connect.h"

#include <spdlog/spdlog.h>

#include <csignal>
#include <mutex>
#include <vector>

#include "plaza/core/status.h"

namespace plaza::redis::internal {
namespace {

constexpr std::string_view kUnavailable = "REDIS_UNAVAILABLE";

struct ReplyDeleter {
  void operator()(redisReply* reply) const { freeReplyObject(reply); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

// Sends one login command; OK when Redis accepts it.
absl::Status Accepted(redisContext* context, const std::string& address,
                      const std::vector<std::string_view>& args) {
  std::vector<const char*> data;
  std::vector<size_t> sizes;
  for (std::string_view arg : args) {
    data.push_back(arg.data());
    sizes.push_back(arg.size());
  }
  ReplyPtr reply(static_cast<redisReply*>(
      redisCommandArgv(context, static_cast<int>(args.size()), data.data(), sizes.data())));
  if (reply == nullptr) {
    spdlog::warn("redis {}: connection lost: {}", address,
                 context->err != 0 ? context->errstr : "no reply");
    return Unavailable(kUnavailable, "Redis is unavailable");
  }
  if (reply->type != REDIS_REPLY_ERROR) return absl::OkStatus();
  spdlog::error("redis {}: {} rejected: {}", address, args.front(),
                std::string_view(reply->str, reply->len));
  return Unavailable(kUnavailable, "Redis refused the login or the database number");
}

}  // namespace

timeval ToTimeval(std::chrono::milliseconds duration) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(duration.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>(duration.count() % 1000 * 1000);
  return tv;
}

void IgnoreSigpipe() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction current {};
    if (sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL) {
      signal(SIGPIPE, SIG_IGN);
    }
  });
}

std::string Address(const Endpoint& endpoint) {
  return endpoint.host + ":" + std::to_string(endpoint.port) + "/" + std::to_string(endpoint.db);
}

absl::StatusOr<ContextPtr> Connect(const Endpoint& endpoint,
                                   std::chrono::milliseconds connect_timeout,
                                   std::chrono::milliseconds io_timeout) {
  const std::string address = Address(endpoint);
  ContextPtr context(
      redisConnectWithTimeout(endpoint.host.c_str(), endpoint.port, ToTimeval(connect_timeout)));
  if (context == nullptr) {
    spdlog::warn("redis {}: cannot allocate a connection", address);
    return Unavailable(kUnavailable, "Redis is unavailable");
  }
  if (context->err != 0 || redisSetTimeout(context.get(), ToTimeval(io_timeout)) != REDIS_OK) {
    spdlog::warn("redis {}: cannot connect: {}", address, context->errstr);
    return Unavailable(kUnavailable, "Redis is unavailable");
  }
  redisEnableKeepAlive(context.get());
  if (!endpoint.password.empty()) {
    std::vector<std::string_view> auth = {"AUTH"};
    if (!endpoint.user.empty()) auth.push_back(endpoint.user);
    auth.push_back(endpoint.password);
    PLAZA_RETURN_IF_ERROR(Accepted(context.get(), address, auth));
  }
  if (endpoint.db != 0) {
    const std::string db = std::to_string(endpoint.db);
    PLAZA_RETURN_IF_ERROR(Accepted(context.get(), address, {"SELECT", db}));
  }
  return context;
}

}  // namespace plaza::redis::internal
