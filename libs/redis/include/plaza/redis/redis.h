#pragma once

// Redis access on hiredis: a bounded, thread-safe connection pool that reconnects by itself.
//
// Redis is Plaza's speed layer and may vanish at any time, so every call degrades to a status
// instead of throwing, and the pool heals without a restart once Redis is back. Outcomes:
//
//   OK                                  the command ran; the value is a Reply.
//   UNAVAILABLE, reason REDIS_UNAVAILABLE
//                                       Redis could not be reached or answered nothing in time:
//                                       connect refused or timed out, AUTH/SELECT rejected, the
//                                       connection dropped, the command timed out, pool closed.
//                                       A command may or may not have run (it was sent before
//                                       the connection failed); retry only what is idempotent.
//   UNAVAILABLE, reason REDIS_BUSY      every connection stayed in use for acquire_timeout.
//   INTERNAL, reason REDIS_ERROR        Redis answered the command with an error reply
//                                       (WRONGTYPE, a script's error_reply, ...). The message is
//                                       Redis's error text verbatim, so callers may recognise
//                                       specific errors by prefix; it is not for clients.
//
// A top-level error reply therefore never comes back as a Reply of type kError: kError appears
// only as an element of an array, e.g. a failed command inside EXEC. Driver details (errno text,
// addresses) are logged, never put in a status. All commands are binary-safe: every argument
// is sent with its length, so values may contain NUL bytes.
//
// A connection whose socket fails (I/O error, timeout, no reply) is discarded, never reused: a
// late reply can therefore never be read by the next caller. Idle connections are checked for a
// hang-up before reuse (no command is sent), so after Redis closes them or restarts, the next
// calls go straight to a fresh connection instead of failing.

#include <chrono>
#include <condition_variable>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "plaza/redis/reply.h"
#include "plaza/redis/script.h"

namespace plaza::redis {

// Where Redis runs and how to log in, parsed from a URL.
struct Endpoint {
  std::string host;
  int port = 6379;
  std::string user;      // empty: AUTH with the password alone (the "default" user)
  std::string password;  // empty: no AUTH
  int db = 0;            // SELECTed on every new connection when not 0
};

// Parses `redis://[[user]:password@]host[:port][/db]`. The host may be an IPv6 literal in
// brackets; user and password may be percent-encoded. Throws std::invalid_argument naming the
// problem (never repeating the password) for anything else, including rediss:// (no TLS) and
// query parameters.
Endpoint ParseUrl(std::string_view url);

struct PoolOptions {
  std::string url;  // see ParseUrl
  int max_connections = 8;
  std::chrono::milliseconds connect_timeout{1000};
  // Bounds each send and each wait for a reply. Blocking commands (BLPOP, XREAD BLOCK, ...) must
  // use a server-side timeout shorter than this.
  std::chrono::milliseconds command_timeout{1000};
  // How long a caller waits for a free connection when max_connections are in use.
  std::chrono::milliseconds acquire_timeout{1000};
};

class Pool {
 public:
  class Connection;

  // Parses the URL and validates the options; throws std::invalid_argument if either is bad.
  // Does not connect: connections are made on first use, so a pool can be created while Redis
  // is down. Sets SIGPIPE to ignored if it is at its default, so that a server vanishing during a
  // write fails that call instead of killing the process.
  explicit Pool(PoolOptions options);
  // Every Connection must have been returned (destroyed) before the pool is destroyed.
  ~Pool();
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  // Leases a connection for several commands that must share it (WATCH/MULTI/EXEC). Reuses an
  // idle connection or opens one while fewer than max_connections exist; otherwise waits up to
  // acquire_timeout. UNAVAILABLE with reason REDIS_BUSY on timeout, REDIS_UNAVAILABLE if a new
  // connection cannot be made or the pool is closed.
  absl::StatusOr<Connection> Acquire();

  // Run one command on a pooled connection, e.g. Command({"SET", key, value, "PX", "5000"}).
  absl::StatusOr<Reply> Command(std::initializer_list<std::string_view> args);
  absl::StatusOr<Reply> Command(const std::vector<std::string>& args);

  // Sends all commands in one write and reads their replies in order (one round trip); the
  // result has one Reply per command. Not atomic: if any reply is an error, every command still
  // ran and the result is INTERNAL/REDIS_ERROR naming the first failed command's position.
  absl::StatusOr<std::vector<Reply>> Pipeline(
      const std::vector<std::vector<std::string>>& commands);

  // EVALSHA, falling back to EVAL (which also caches the script) when the server answers
  // NOSCRIPT, e.g. after a restart or SCRIPT FLUSH.
  absl::StatusOr<Reply> Eval(const Script& script, const std::vector<std::string>& keys,
                             const std::vector<std::string>& args);

  // PING on a pooled connection, for health checks: OK or the UNAVAILABLE statuses above.
  absl::Status Ping();

  // Closes idle connections and makes later Acquire calls UNAVAILABLE; leased connections are
  // closed when returned. For graceful shutdown.
  void Close();

  // Every method above is thread-safe.

 private:
  class Link;

  void Release(std::unique_ptr<Link> link);
  absl::StatusOr<std::unique_ptr<Link>> Connect();

  const PoolOptions options_;
  const Endpoint endpoint_;
  const std::string address_;  // host:port/db, for logs
  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<Link>> idle_;
  int open_ = 0;  // idle + leased + being opened
  bool closed_ = false;
};

// One leased connection, returned to its pool when destroyed. Used by one thread at a time.
// Return it in a clean state: no MULTI left open, no WATCH pending, not subscribed. After a
// failure (UNAVAILABLE/REDIS_UNAVAILABLE) every further call fails the same way without I/O, and
// the connection is discarded instead of returned, so a transaction is never silently continued
// on another socket.
class Pool::Connection {
 public:
  Connection(Connection&& other) noexcept;
  Connection& operator=(Connection&& other) noexcept;
  ~Connection();

  // Same contracts as the Pool methods of the same names.
  absl::StatusOr<Reply> Command(std::initializer_list<std::string_view> args);
  absl::StatusOr<Reply> Command(const std::vector<std::string>& args);
  absl::StatusOr<std::vector<Reply>> Pipeline(
      const std::vector<std::vector<std::string>>& commands);
  absl::StatusOr<Reply> Eval(const Script& script, const std::vector<std::string>& keys,
                             const std::vector<std::string>& args);

 private:
  friend class Pool;
  Connection(Pool* pool, std::unique_ptr<Link> link);

  Pool* pool_;
  std::unique_ptr<Link> link_;
};

}  // namespace plaza::redis
