#include "plaza/pg/pool.h"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <random>
#include <thread>

namespace plaza::pg {
namespace {

std::string WithConnectTimeout(const std::string& url, std::chrono::seconds timeout) {
  if (url.find("connect_timeout") != std::string::npos) return url;
  std::string setting = "connect_timeout=" + std::to_string(timeout.count());
  if (url.find("://") == std::string::npos) return url + " " + setting;
  return url + (url.find('?') == std::string::npos ? "?" : "&") + setting;
}

const char* IsolationStatement(Isolation isolation) {
  switch (isolation) {
    case Isolation::kReadCommitted:
      return nullptr;
    case Isolation::kRepeatableRead:
      return "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ";
    case Isolation::kSerializable:
      return "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE";
  }
  return nullptr;
}

void Backoff(int attempt) {
  thread_local std::mt19937 engine{std::random_device{}()};
  int cap_ms = std::min(50, 1 << attempt);
  std::this_thread::sleep_for(
      std::chrono::milliseconds(std::uniform_int_distribution<int>(0, cap_ms)(engine)));
}

}  // namespace

Pool::Pool(PoolOptions options)
    : options_(std::move(options)),
      connect_string_(WithConnectTimeout(options_.url, options_.connect_timeout)) {}

Pool::~Pool() { Close(); }

void Pool::Close() {
  std::vector<std::unique_ptr<pqxx::connection>> idle;
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
    idle.swap(idle_);
    open_ -= static_cast<int>(idle.size());
  }
  available_.notify_all();
}

absl::StatusOr<std::unique_ptr<pqxx::connection>> Pool::Acquire() {
  {
    std::unique_lock lock(mutex_);
    bool ready = available_.wait_for(lock, options_.acquire_timeout, [&] {
      return closed_ || !idle_.empty() || open_ < options_.max_connections;
    });
    if (closed_) return Unavailable("DATABASE_UNAVAILABLE", "database pool is closed");
    if (!ready) return Unavailable("DATABASE_BUSY", "all database connections are busy");
    if (!idle_.empty()) {
      auto connection = std::move(idle_.back());
      idle_.pop_back();
      return connection;
    }
    ++open_;  // reserve the slot before connecting outside the lock
  }
  try {
    return std::make_unique<pqxx::connection>(connect_string_);
  } catch (const std::exception& error) {
    {
      std::lock_guard lock(mutex_);
      --open_;
    }
    available_.notify_one();
    spdlog::warn("database connect failed: {}", error.what());
    return Unavailable("DATABASE_UNAVAILABLE", "database is unavailable");
  }
}

void Pool::Release(std::unique_ptr<pqxx::connection> connection, bool healthy) {
  std::vector<std::unique_ptr<pqxx::connection>> discarded;
  {
    std::lock_guard lock(mutex_);
    if (healthy && !closed_ && connection->is_open()) {
      idle_.push_back(std::move(connection));
    } else {
      --open_;
      // One broken connection usually means the server restarted or dropped us all: the idle
      // ones are most likely dead too, so the retry must not draw another of them.
      if (!healthy) {
        discarded.swap(idle_);
        open_ -= static_cast<int>(discarded.size());
      }
    }
  }
  available_.notify_all();
  // Discarded connections are destroyed here, outside the lock.
}

Pool::Outcome Pool::RunOnce(const std::function<absl::Status(pqxx::work&)>& body,
                            Isolation isolation, absl::Status& status) {
  auto acquired = Acquire();
  if (!acquired.ok()) {
    status = acquired.status();
    return Outcome::kDone;
  }
  std::unique_ptr<pqxx::connection> connection = std::move(*acquired);
  bool healthy = true;
  Outcome outcome = Outcome::kDone;
  try {
    pqxx::work tx(*connection);
    if (const char* statement = IsolationStatement(isolation)) tx.exec(statement);
    status = body(tx);
    if (status.ok()) tx.commit();
  } catch (const pqxx::in_doubt_error& error) {
    healthy = false;
    spdlog::error("transaction outcome unknown: {}", error.what());
    status = Error(absl::StatusCode::kUnknown, "COMMIT_OUTCOME_UNKNOWN",
                   "the outcome of the operation is unknown; retry with the same idempotency key");
  } catch (const pqxx::serialization_failure& error) {
    spdlog::debug("serialization failure, retrying: {}", error.what());
    outcome = Outcome::kRetryConflict;
  } catch (const pqxx::deadlock_detected& error) {
    spdlog::warn("deadlock, retrying: {}", error.what());
    outcome = Outcome::kRetryConflict;
  } catch (const pqxx::broken_connection& error) {
    healthy = false;
    spdlog::warn("database connection lost: {}", error.what());
    outcome = Outcome::kRetryBroken;
  } catch (const pqxx::unique_violation& error) {
    spdlog::debug("unique violation: {}", error.what());
    status = AlreadyExists("ALREADY_EXISTS", "the resource already exists");
  } catch (const pqxx::foreign_key_violation& error) {
    spdlog::debug("foreign key violation: {}", error.what());
    status = FailedPrecondition("REFERENCE_MISSING", "a referenced resource does not exist");
  } catch (const pqxx::sql_error& error) {
    spdlog::error("sql error: {} (query: {})", error.what(), error.query());
    status = Internal("INTERNAL", "internal error");
  } catch (const std::exception& error) {
    healthy = connection->is_open();
    spdlog::error("database error: {}", error.what());
    status = Internal("INTERNAL", "internal error");
  }
  Release(std::move(connection), healthy);
  return outcome;
}

absl::Status Pool::Run(const std::function<absl::Status(pqxx::work&)>& body, Isolation isolation) {
  bool retried_broken = false;
  for (int attempt = 1;; ++attempt) {
    absl::Status status;
    switch (RunOnce(body, isolation, status)) {
      case Outcome::kDone:
        return status;
      case Outcome::kRetryConflict:
        if (attempt >= options_.max_attempts) {
          return Error(absl::StatusCode::kAborted, "TRANSACTION_CONFLICT",
                       "the operation conflicted with a concurrent one; retry");
        }
        Backoff(attempt);
        break;
      case Outcome::kRetryBroken:
        // Nothing was committed, and a pooled connection may simply predate a server restart:
        // one retry on a fresh connection tells the two apart.
        if (retried_broken) return Unavailable("DATABASE_UNAVAILABLE", "database is unavailable");
        retried_broken = true;
        break;
    }
  }
}

absl::Status Pool::Ping() {
  return Run(
      [](pqxx::work& tx) {
        tx.exec("SELECT 1");
        return absl::OkStatus();
      },
      Isolation::kReadCommitted);
}

std::string StatementName(const std::string& sql) {
  char name[32];
  std::snprintf(name, sizeof name, "plaza_%016zx", std::hash<std::string>()(sql));
  return name;
}

}  // namespace plaza::pg
