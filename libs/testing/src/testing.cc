#include "plaza/testing/testing.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <pqxx/pqxx>
#include <random>
#include <stdexcept>
#include <thread>

namespace plaza::testing {

std::string RequireEnv(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') {
    throw std::runtime_error(std::string(name) +
                             " is not set: run the tests through scripts/test, which starts "
                             "PostgreSQL and Redis and sets it");
  }
  return value;
}

std::string WithDatabase(const std::string& url, const std::string& database) {
  auto scheme = url.find("://");
  auto slash = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  auto query = url.find('?');
  std::string base = url.substr(0, std::min(slash, query));
  std::string params = query == std::string::npos ? "" : url.substr(query);
  return base + "/" + database + params;
}

TestDatabase::TestDatabase() : admin_url_(RequireEnv("PLAZA_TEST_PG_URL")) {
  static std::atomic<int> counter{0};
  std::random_device random;
  name_ = "plaza_test_" + std::to_string(getpid()) + "_" + std::to_string(counter++) + "_" +
          std::to_string(random() % 1000000);
  url_ = WithDatabase(admin_url_, name_);
  pqxx::connection admin(admin_url_);
  pqxx::nontransaction tx(admin);
  tx.exec("CREATE DATABASE " + tx.quote_name(name_));
}

TestDatabase::~TestDatabase() {
  try {
    pqxx::connection admin(admin_url_);
    pqxx::nontransaction tx(admin);
    tx.exec("DROP DATABASE IF EXISTS " + tx.quote_name(name_) + " WITH (FORCE)");
  } catch (const std::exception&) {
    // The server may already be gone at the end of a run; the database dies with it.
  }
}

const TestDatabase& SharedTestDatabase() {
  static const TestDatabase database;
  return database;
}

std::string TestRedisUrl() { return RequireEnv("PLAZA_TEST_REDIS_URL"); }

RedisServer::RedisServer(std::vector<std::string> extra_args)
    : port_(FreePort()), extra_args_(std::move(extra_args)) {
  Start();
}

RedisServer::~RedisServer() { Stop(); }

std::string RedisServer::Url(std::string_view credentials, int db) const {
  return "redis://" + std::string(credentials) + "127.0.0.1:" + std::to_string(port_) + "/" +
         std::to_string(db);
}

void RedisServer::Start() {
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
  process_ = std::make_unique<ChildProcess>(args, std::vector<std::string>{});
  if (!WaitForPort(port_, std::chrono::seconds(10))) {
    throw std::runtime_error("redis-server did not listen on " + std::to_string(port_) + ": " +
                             process_->Output());
  }
}

void RedisServer::Stop() { process_.reset(); }

namespace {

// The newest installed PostgreSQL's bin directory (Debian: /usr/lib/postgresql/<major>/bin).
std::string PostgresBin() {
  std::string best;
  int best_major = 0;
  for (int major = 12; major <= 30; ++major) {
    std::string bin = "/usr/lib/postgresql/" + std::to_string(major) + "/bin";
    if (access((bin + "/postgres").c_str(), X_OK) == 0 && major > best_major) {
      best = bin;
      best_major = major;
    }
  }
  if (best.empty()) throw std::runtime_error("no PostgreSQL server under /usr/lib/postgresql");
  return best;
}

}  // namespace

PostgresServer::PostgresServer() : port_(FreePort()), bin_(PostgresBin()) {
  char pattern[] = "/tmp/plaza-test-pg-XXXXXX";
  if (mkdtemp(pattern) == nullptr)
    throw std::runtime_error("cannot make a directory for PostgreSQL");
  directory_ = pattern;
  // PostgreSQL refuses to run as root.
  if (geteuid() == 0) {
    const passwd* server_user = getpwnam("postgres");
    if (server_user == nullptr ||
        chown(directory_.c_str(), server_user->pw_uid, server_user->pw_gid) != 0) {
      throw std::runtime_error("cannot hand " + directory_ + " to the postgres user");
    }
  }
  ChildProcess initdb(AsServerUser({bin_ + "/initdb", "-D", directory_ + "/data", "-A", "trust",
                                    "-U", "postgres", "--no-sync"}),
                      {"LC_ALL=C.UTF-8"});
  if (initdb.Wait(std::chrono::seconds(60)) != 0) {
    throw std::runtime_error("initdb failed: " + initdb.Output());
  }
  Start();
}

PostgresServer::~PostgresServer() {
  process_.reset();
  std::filesystem::remove_all(directory_);
}

std::vector<std::string> PostgresServer::AsServerUser(std::vector<std::string> argv) const {
  if (geteuid() != 0) return argv;
  // setpriv execs the server in place, so the child's PID is the postmaster's own.
  std::vector<std::string> wrapped = {"/usr/bin/setpriv", "--reuid=postgres", "--regid=postgres",
                                      "--init-groups", "--"};
  wrapped.insert(wrapped.end(), argv.begin(), argv.end());
  return wrapped;
}

std::string PostgresServer::Url() const {
  return "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/postgres";
}

void PostgresServer::Start() {
  process_ = std::make_unique<ChildProcess>(
      AsServerUser({bin_ + "/postgres", "-D", directory_ + "/data", "-p", std::to_string(port_),
                    "-k", directory_, "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c",
                    "max_connections=200"}),
      std::vector<std::string>{});
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline && process_->running()) {
    try {
      pqxx::connection connection(Url());
      return;
    } catch (const std::exception&) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  throw std::runtime_error("PostgreSQL did not start: " + process_->Output());
}

void PostgresServer::Crash() {
  process_->Signal(SIGQUIT);
  if (process_->Wait(std::chrono::seconds(30)) < 0) process_->Signal(SIGKILL);
  process_.reset();
}

ChildProcess::ChildProcess(std::vector<std::string> argv, std::vector<std::string> extra_env) {
  static std::atomic<int> counter{0};
  output_path_ = "/tmp/plaza-test-child-" + std::to_string(getpid()) + "-" +
                 std::to_string(counter++) + ".log";
  std::vector<std::string> env;
  for (char** entry = environ; *entry != nullptr; ++entry) env.emplace_back(*entry);
  for (auto& var : extra_env) {
    // A later NAME=value replaces any earlier one: getenv() would return the first.
    std::string prefix = var.substr(0, var.find('=') + 1);
    std::erase_if(env, [&](const std::string& existing) { return existing.starts_with(prefix); });
    env.push_back(std::move(var));
  }
  std::vector<char*> c_argv, c_env;
  for (auto& arg : argv) c_argv.push_back(arg.data());
  c_argv.push_back(nullptr);
  for (auto& var : env) c_env.push_back(var.data());
  c_env.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, output_path_.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  int error = posix_spawn(&pid_, c_argv[0], &actions, nullptr, c_argv.data(), c_env.data());
  posix_spawn_file_actions_destroy(&actions);
  if (error != 0) {
    pid_ = -1;
    throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(error));
  }
}

ChildProcess::~ChildProcess() {
  if (running()) {
    kill(pid_, SIGKILL);
    Wait(std::chrono::seconds(10));
  }
  std::remove(output_path_.c_str());
}

void ChildProcess::Signal(int signal) {
  if (running()) kill(pid_, signal);
}

bool ChildProcess::running() {
  if (status_ >= 0 || pid_ <= 0) return false;
  int raw = 0;
  if (waitpid(pid_, &raw, WNOHANG) == pid_) {
    status_ = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
    return false;
  }
  return true;
}

int ChildProcess::Wait(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (running()) {
    if (std::chrono::steady_clock::now() >= deadline) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return status_;
}

std::string ChildProcess::Output() const {
  std::ifstream file(output_path_);
  return std::string(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
}

namespace {
int ConnectLocal(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<uint16_t>(port));
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}
}  // namespace

bool WaitForPort(int port, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (int fd = ConnectLocal(port); fd >= 0) {
      close(fd);
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

std::string HttpGet(int port, const std::string& path) {
  int fd = ConnectLocal(port);
  if (fd < 0) return "";
  std::string request = "GET " + path + " HTTP/1.0\r\n\r\n";
  if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size())) {
    close(fd);
    return "";
  }
  std::string response;
  char buffer[4096];
  ssize_t n;
  while ((n = recv(fd, buffer, sizeof(buffer), 0)) > 0)
    response.append(buffer, static_cast<size_t>(n));
  close(fd);
  return response;
}

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof(address);
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    if (fd >= 0) close(fd);
    throw std::runtime_error("no free port");
  }
  close(fd);
  return ntohs(address.sin_port);
}

}  // namespace plaza::testing
