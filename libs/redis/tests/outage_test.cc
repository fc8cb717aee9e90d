#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <stdexcept>
#include <thread>

#include "plaza/core/status.h"
#include "plaza/redis/redis.h"
#include "plaza/testing/testing.h"

using namespace std::chrono_literals;
using plaza::redis::Pool;
using plaza::redis::Reply;

namespace {

// A redis-server owned by the test, on a free port, with nothing persisted. Stop() kills that
// process alone, by its PID, as an outage would.
class RedisServer {
 public:
  explicit RedisServer(std::vector<std::string> extra_args)
      : port_(plaza::testing::FreePort()), extra_args_(std::move(extra_args)) {
    Start();
  }
  ~RedisServer() { Stop(); }
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  std::string Url(std::string_view credentials, int db) const {
    return "redis://" + std::string(credentials) + "127.0.0.1:" + std::to_string(port_) + "/" +
           std::to_string(db);
  }

  void Start() {
    std::vector<std::string> args = {"/usr/bin/redis-server",
                                     "--port",
                                     std::to_string(port_),
                                     "--bind",
                                     "127.0.0.1",
                                     "--save",
                                     "",
                                     "--appendonly",
                                     "no",
                                     "--daemonize",
                                     "no",
                                     "--loglevel",
                                     "warning"};
    args.insert(args.end(), extra_args_.begin(), extra_args_.end());
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    int error = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (error != 0) {
      pid_ = -1;
      throw std::runtime_error(std::string("cannot start redis-server: ") + std::strerror(error));
    }
    WaitUntilListening();
  }

  void Stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  void WaitUntilListening() {
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline) {
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        throw std::runtime_error("redis-server exited at start (port " + std::to_string(port_) +
                                 " taken?)");
      }
      int fd = socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in address{};
      address.sin_family = AF_INET;
      address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      address.sin_port = htons(static_cast<uint16_t>(port_));
      bool up = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
      close(fd);
      if (up) return;
      std::this_thread::sleep_for(20ms);
    }
    throw std::runtime_error("redis-server did not listen within 10 s");
  }

  const int port_;
  const std::vector<std::string> extra_args_;
  pid_t pid_ = -1;
};

template <typename T>
T Required(absl::StatusOr<T> result) {
  INFO(result.status().ToString());
  REQUIRE(result.ok());
  return *std::move(result);
}

}  // namespace

TEST_CASE("The pool recovers by itself after the Redis server dies and restarts", "[redis][db]") {
  RedisServer server({"--requirepass", "s3cret"});
  Pool pool({.url = server.Url(":s3cret@", 3),
             .max_connections = 2,
             .connect_timeout = 500ms,
             .command_timeout = 500ms});
  CHECK(Required(pool.Command({"SET", "greeting", "before"})) == Reply::Status("OK"));

  server.Stop();
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto start = std::chrono::steady_clock::now();
    absl::Status down = pool.Command({"GET", "greeting"}).status();
    INFO(down.ToString());
    CHECK(down.code() == absl::StatusCode::kUnavailable);
    CHECK(plaza::ReasonOf(down) == "REDIS_UNAVAILABLE");
    CHECK(std::chrono::steady_clock::now() - start < 1s);
  }

  server.Start();
  // The same pool, never recreated: the very first call after the restart succeeds.
  CHECK(Required(pool.Command({"SET", "greeting", "after"})) == Reply::Status("OK"));
  CHECK(Required(pool.Command({"GET", "greeting"})).str() == "after");
  CHECK(pool.Ping().ok());

  // It logged in again and selected database 3 again on the new connections.
  Pool db0({.url = server.Url(":s3cret@", 0)});
  CHECK(Required(db0.Command({"GET", "greeting"})).is_nil());
}

TEST_CASE("A rejected login is UNAVAILABLE and a user name logs in through ACL", "[redis][db]") {
  RedisServer server({"--requirepass", "s3cret", "--user", "alice", "on", ">pw", "~*", "+@all"});

  Pool wrong({.url = server.Url(":wrong@", 0)});
  absl::Status status = wrong.Ping();
  CHECK(status.code() == absl::StatusCode::kUnavailable);
  CHECK(plaza::ReasonOf(status) == "REDIS_UNAVAILABLE");

  Pool bad_database({.url = server.Url(":s3cret@", 99)});
  CHECK(plaza::ReasonOf(bad_database.Ping()) == "REDIS_UNAVAILABLE");

  Pool alice({.url = server.Url("alice:pw@", 0)});
  CHECK(Required(alice.Command({"ACL", "WHOAMI"})).str() == "alice");
}
