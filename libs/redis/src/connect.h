#pragma once

// Opening and logging in a hiredis connection, shared by the Pool and the Subscriber so that both
// reach Redis the same way. Internal to plaza_redis: not an installed header.

#include <hiredis/hiredis.h>
#include <sys/time.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "plaza/redis/redis.h"

namespace plaza::redis::internal {

struct ContextDeleter {
  void operator()(redisContext* context) const { redisFree(context); }
};
using ContextPtr = std::unique_ptr<redisContext, ContextDeleter>;

timeval ToTimeval(std::chrono::milliseconds duration);

// hiredis writes with write(2): a server that vanishes in the middle of a long write would raise
// SIGPIPE and kill the whole process instead of failing one call with EPIPE. This sets SIGPIPE
// to ignored, once, if it is at its default.
void IgnoreSigpipe();

// "host:port/db", naming a server in logs (never the credentials).
std::string Address(const Endpoint& endpoint);

// A blocking connection to `endpoint`: connects within `connect_timeout`, bounds every later send
// and read by `io_timeout`, turns TCP keepalive on (so a peer that vanished without closing is
// noticed), then sends AUTH and SELECT as the endpoint asks. Any failure is logged (with the
// driver's details) and returned as UNAVAILABLE with reason REDIS_UNAVAILABLE; a rejected AUTH or
// SELECT is logged as an error, since retrying will not fix it.
absl::StatusOr<ContextPtr> Connect(const Endpoint& endpoint,
                                   std::chrono::milliseconds connect_timeout,
                                   std::chrono::milliseconds io_timeout);

}  // namespace plaza::redis::internal
