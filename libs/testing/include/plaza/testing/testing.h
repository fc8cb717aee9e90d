#pragma once

// Test-only helpers. Database tests are told where PostgreSQL and Redis run through
// PLAZA_TEST_PG_URL (an admin URL) and PLAZA_TEST_REDIS_URL, which scripts/test sets. A missing
// variable is a hard failure, never a silent skip.

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace plaza::testing {

// The value of environment variable `name`; throws std::runtime_error naming it if unset.
std::string RequireEnv(const char* name);

// A database created empty for the test and dropped (forcibly) when destroyed.
class TestDatabase {
 public:
  TestDatabase();
  ~TestDatabase();
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  const std::string& url() const { return url_; }
  const std::string& name() const { return name_; }

 private:
  std::string admin_url_;
  std::string name_;
  std::string url_;
};

// One TestDatabase per test process, created on first use.
const TestDatabase& SharedTestDatabase();

// PLAZA_TEST_REDIS_URL.
std::string TestRedisUrl();

// A child process owned by the test: started with extra environment variables, its stdout and
// stderr captured to a file, signalled and reaped by its PID alone.
class ChildProcess {
 public:
  // `extra_env` entries (NAME=value) are added to this process's environment, later ones
  // replacing earlier ones of the same name. Throws std::runtime_error if it cannot start.
  ChildProcess(std::vector<std::string> argv, std::vector<std::string> extra_env);
  ~ChildProcess();  // SIGKILLs the process if it is still running
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  void Signal(int signal);
  // Waits up to `timeout` for the exit status (the exit code, or 128 + signal); -1 on timeout.
  int Wait(std::chrono::milliseconds timeout);
  bool running();
  // Everything the process wrote so far to stdout and stderr.
  std::string Output() const;

 private:
  pid_t pid_ = -1;
  int status_ = -1;
  std::string output_path_;
};

// A redis-server owned by the test, on a free port, with nothing persisted. Stop() kills that
// process alone, by its PID, as an outage would; Start() brings it back on the same port.
class RedisServer {
 public:
  explicit RedisServer(std::vector<std::string> extra_args = {});
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  // redis://<credentials>127.0.0.1:<port>/<db>; credentials like ":password@" or "".
  std::string Url(std::string_view credentials = "", int db = 0) const;
  void Start();
  void Stop();

 private:
  const int port_;
  const std::vector<std::string> extra_args_;
  std::unique_ptr<ChildProcess> process_;
};

// A PostgreSQL server owned by the test (not the shared one of PLAZA_TEST_PG_URL), for tests
// that restart or crash the database: a fresh cluster in a temporary directory on a free port,
// trust authentication for user postgres, run as the postgres user when the test runs as root.
// Crash() stops it the way a power cut would (SIGQUIT: no checkpoint, recovery on the next
// start); Start() brings it back on the same port with the same data.
class PostgresServer {
 public:
  PostgresServer();
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  // postgresql://postgres@127.0.0.1:<port>/postgres
  std::string Url() const;
  void Start();
  void Crash();

 private:
  std::vector<std::string> AsServerUser(std::vector<std::string> argv) const;

  const int port_;
  std::string directory_;
  std::string bin_;
  std::unique_ptr<ChildProcess> process_;
};

// True once something accepts TCP connections on 127.0.0.1:`port`, polling up to `timeout`.
bool WaitForPort(int port, std::chrono::milliseconds timeout);

// The whole response (status line, headers, body) to GET `path` on 127.0.0.1:`port`, or "" if
// nothing answers.
std::string HttpGet(int port, const std::string& path);

// A TCP port on 127.0.0.1 that was free a moment ago.
int FreePort();

// Replaces the database name in a libpq URL (postgresql://user@host:port/NAME?params).
std::string WithDatabase(const std::string& url, const std::string& database);

}  // namespace plaza::testing
