#pragma once

// PostgreSQL access on libpqxx: a bounded connection pool and transactions that retry.
//
// Stores are the only callers; pqxx types stay inside store files. Failures become statuses
// following the house mapping: serialization failure or deadlock → retried, then ABORTED;
// unique violation → ALREADY_EXISTS; foreign-key violation → FAILED_PRECONDITION; broken
// connection → UNAVAILABLE (retried once on a fresh connection while nothing was committed);
// commit outcome unknown → UNKNOWN; anything else → INTERNAL. The driver's message is logged
// with the request id and never put in the status.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <type_traits>
#include <vector>

#include "absl/status/statusor.h"
#include "plaza/core/status.h"

namespace plaza::pg {

struct PoolOptions {
  std::string url;  // libpq URL, e.g. postgresql://user@127.0.0.1:5432/plaza
  int max_connections = 8;
  std::chrono::milliseconds acquire_timeout{2000};
  std::chrono::seconds connect_timeout{3};
  int max_attempts = 5;  // per transaction, counting the first
};

enum class Isolation { kReadCommitted, kRepeatableRead, kSerializable };

// "plaza_<hex>" from a hash of `sql`.
std::string StatementName(const std::string& sql);

class Pool {
 public:
  explicit Pool(PoolOptions options);
  ~Pool();
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  // Runs `body(pqxx::work&)` in a transaction and commits if it returns OK. `body` returns
  // absl::Status or absl::StatusOr<T>; a non-OK result rolls back and is returned as is. The
  // body may run more than once (on conflicts), so it must not have effects outside the
  // transaction. Thread-safe.
  template <typename Body>
  auto Transact(Body&& body, Isolation isolation = Isolation::kReadCommitted)
      -> std::invoke_result_t<Body, pqxx::work&>;

  // Connects (if needed) and runs SELECT 1. OK, or UNAVAILABLE.
  absl::Status Ping();

  // Closes idle connections; connections in use close when returned.
  void Close();

 private:
  class Lease;
  absl::StatusOr<std::unique_ptr<pqxx::connection>> Acquire();
  void Release(std::unique_ptr<pqxx::connection> connection, bool healthy);
  // Runs one attempt; the outcome decides whether to retry.
  enum class Outcome { kDone, kRetryConflict, kRetryBroken };
  Outcome RunOnce(const std::function<absl::Status(pqxx::work&)>& body, Isolation isolation,
                  absl::Status& status);
  absl::Status Run(const std::function<absl::Status(pqxx::work&)>& body, Isolation isolation);

  const PoolOptions options_;
  const std::string connect_string_;
  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<pqxx::connection>> idle_;
  int open_ = 0;  // idle + leased
  bool closed_ = false;
};

// Runs `sql` as a prepared statement of the transaction's connection: parsed and planned once
// per connection, not on every call (which is most of a short statement's cost). Statements
// are named by a hash of their text, so any store may call this with constant SQL; a statement
// is registered with the server on its first use on a connection and survives rollbacks.
template <typename... Args>
pqxx::result Exec(pqxx::work& tx, const std::string& sql, Args&&... args) {
  std::string name = StatementName(sql);
  tx.conn().prepare(name, sql);
  return tx.exec_prepared(name, std::forward<Args>(args)...);
}

// Exec for statements that return exactly one row; throws pqxx::unexpected_rows otherwise.
template <typename... Args>
pqxx::row Exec1(pqxx::work& tx, const std::string& sql, Args&&... args) {
  std::string name = StatementName(sql);
  tx.conn().prepare(name, sql);
  return tx.exec_prepared1(name, std::forward<Args>(args)...);
}

template <typename Body>
auto Pool::Transact(Body&& body, Isolation isolation) -> std::invoke_result_t<Body, pqxx::work&> {
  using Result = std::invoke_result_t<Body, pqxx::work&>;
  if constexpr (std::is_same_v<Result, absl::Status>) {
    return Run(body, isolation);
  } else {
    std::optional<Result> result;
    absl::Status status = Run(
        [&](pqxx::work& tx) {
          result.emplace(body(tx));
          return result->status();
        },
        isolation);
    if (!status.ok()) return status;
    return std::move(*result);
  }
}

}  // namespace plaza::pg
