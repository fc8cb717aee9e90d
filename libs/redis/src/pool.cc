#include "plaza/redis/redis.h"

#include <poll.h>

#include <mutex>
#include <stdexcept>
#include <utility>

#include <hiredis/hiredis.h>
#include <spdlog/spdlog.h>

#include "connect.h"
#include "plaza/core/status.h"

namespace plaza::redis {
namespace {

constexpr std::string_view kUnavailable = "REDIS_UNAVAILABLE";
constexpr std::string_view kBusy = "REDIS_BUSY";
constexpr std::string_view kRedisError = "REDIS_ERROR";

struct ReplyDeleter {
  void operator()(redisReply* reply) const { freeReplyObject(reply); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

Reply FromHiredis(const redisReply& reply) {
  switch (reply.type) {
    case REDIS_REPLY_STRING:
      return Reply::String(std::string(reply.str, reply.len));
    case REDIS_REPLY_STATUS:
      return Reply::Status(std::string(reply.str, reply.len));
    case REDIS_REPLY_ERROR:
      return Reply::Error(std::string(reply.str, reply.len));
    case REDIS_REPLY_INTEGER:
      return Reply::Integer(reply.integer);
    case REDIS_REPLY_ARRAY: {
      std::vector<Reply> elements;
      elements.reserve(reply.elements);
      for (size_t i = 0; i < reply.elements; ++i) {
        elements.push_back(FromHiredis(*reply.element[i]));
      }
      return Reply::Array(std::move(elements));
    }
    case REDIS_REPLY_NIL:
      break;
  }
  return Reply::Nil();
}

// Pointers plus lengths, as redisCommandArgv wants them: the lengths are what make every argument
// binary-safe. The strings must outlive the Argv.
class Argv {
 public:
  template <typename Strings>
  explicit Argv(const Strings& args) {
    for (const auto& arg : args) {
      data_.push_back(arg.data());
      sizes_.push_back(arg.size());
    }
  }
  int count() const { return static_cast<int>(data_.size()); }
  const char** data() { return data_.data(); }
  const size_t* sizes() const { return sizes_.data(); }

 private:
  std::vector<const char*> data_;
  std::vector<size_t> sizes_;
};

absl::StatusOr<Reply> FailOnError(Reply reply) {
  if (reply.type() == Reply::Type::kError) return Internal(kRedisError, reply.str());
  return reply;
}

}  // namespace

// One hiredis connection. Error replies come back as kError Replies; the callers decide what
// they mean (Eval needs to see NOSCRIPT).
class Pool::Link {
 public:
  Link(redisContext* context, std::string address)
      : context_(context), address_(std::move(address)) {}
  ~Link() { redisFree(context_); }
  Link(const Link&) = delete;
  Link& operator=(const Link&) = delete;

  bool broken() const { return broken_; }

  // Redis never speaks unasked, so any event on an idle socket is a hang-up, a reset, or bytes
  // that answer no request: in every case the connection must not be reused.
  bool QuietWhileIdle() const {
    pollfd socket{};
    socket.fd = context_->fd;
    socket.events = POLLIN;
    return poll(&socket, 1, 0) == 0;
  }

  absl::StatusOr<Reply> Send(Argv argv) {
    if (argv.count() == 0) return Internal(kRedisError, "empty Redis command");
    if (broken_) return Lost();
    ReplyPtr reply(static_cast<redisReply*>(
        redisCommandArgv(context_, argv.count(), argv.data(), argv.sizes())));
    if (reply == nullptr) return Fail();
    return FromHiredis(*reply);
  }

  absl::StatusOr<std::vector<Reply>> SendAll(std::vector<Argv>& commands) {
    // Checked before anything is buffered: a half-appended pipeline would send its commands
    // with the next request and shift every later reply by one.
    for (const Argv& argv : commands) {
      if (argv.count() == 0) return Internal(kRedisError, "empty Redis command in a pipeline");
    }
    if (broken_) return Lost();
    for (Argv& argv : commands) {
      if (redisAppendCommandArgv(context_, argv.count(), argv.data(), argv.sizes()) != REDIS_OK) {
        return Fail();
      }
    }
    std::vector<Reply> replies;
    replies.reserve(commands.size());
    for (size_t i = 0; i < commands.size(); ++i) {
      void* raw = nullptr;
      if (redisGetReply(context_, &raw) != REDIS_OK || raw == nullptr) return Fail();
      ReplyPtr reply(static_cast<redisReply*>(raw));
      replies.push_back(FromHiredis(*reply));
    }
    return replies;
  }

 private:
  absl::Status Fail() {
    broken_ = true;
    spdlog::warn("redis {}: connection lost: {}", address_,
                 context_->err != 0 ? context_->errstr : "no reply");
    return Unavailable(kUnavailable, "Redis is unavailable");
  }

  static absl::Status Lost() { return Unavailable(kUnavailable, "the Redis connection was lost"); }

  redisContext* const context_;
  const std::string address_;
  bool broken_ = false;
};

Pool::Pool(PoolOptions options)
    : options_(std::move(options)),
      endpoint_(ParseUrl(options_.url)),
      address_(internal::Address(endpoint_)) {
  if (options_.max_connections < 1) {
    throw std::invalid_argument("Redis pool: max_connections must be at least 1");
  }
  // A zero socket timeout would mean "wait forever" to the kernel.
  if (options_.connect_timeout.count() <= 0 || options_.command_timeout.count() <= 0) {
    throw std::invalid_argument("Redis pool: connect and command timeouts must be positive");
  }
  if (options_.acquire_timeout.count() < 0) {
    throw std::invalid_argument("Redis pool: acquire_timeout must not be negative");
  }
  // Release() then never allocates, so returning a connection cannot throw.
  idle_.reserve(static_cast<size_t>(options_.max_connections));
  internal::IgnoreSigpipe();
}

Pool::~Pool() { Close(); }

void Pool::Close() {
  std::vector<std::unique_ptr<Link>> idle;
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
    idle.swap(idle_);
    open_ -= static_cast<int>(idle.size());
  }
  available_.notify_all();
}

absl::StatusOr<Pool::Connection> Pool::Acquire() {
  const auto deadline = std::chrono::steady_clock::now() + options_.acquire_timeout;
  {
    std::unique_lock lock(mutex_);
    while (true) {
      bool ready = available_.wait_until(lock, deadline, [&] {
        return closed_ || !idle_.empty() || open_ < options_.max_connections;
      });
      if (closed_) return Unavailable(kUnavailable, "the Redis pool is closed");
      if (!ready) return Unavailable(kBusy, "all Redis connections are busy");
      if (idle_.empty()) break;
      std::unique_ptr<Link> link = std::move(idle_.back());
      idle_.pop_back();
      if (link->QuietWhileIdle()) return Connection(this, std::move(link));
      spdlog::debug("redis {}: dropping an idle connection the server closed", address_);
      --open_;
    }
    ++open_;  // reserve the slot, then connect outside the lock
  }
  auto link = Connect();
  if (!link.ok()) {
    {
      std::lock_guard lock(mutex_);
      --open_;
    }
    available_.notify_one();
    return link.status();
  }
  return Connection(this, *std::move(link));
}

absl::StatusOr<std::unique_ptr<Pool::Link>> Pool::Connect() {
  // Connect() turns keepalive probes on: they let the idle check notice a peer that vanished
  // without closing the socket (host down, network partition), not only one that hung up.
  PLAZA_ASSIGN_OR_RETURN(
      internal::ContextPtr context,
      internal::Connect(endpoint_, options_.connect_timeout, options_.command_timeout));
  return std::make_unique<Link>(context.release(), address_);
}

void Pool::Release(std::unique_ptr<Link> link) {
  {
    std::lock_guard lock(mutex_);
    if (!link->broken() && !closed_) {
      idle_.push_back(std::move(link));
    } else {
      --open_;
    }
  }
  available_.notify_one();
  // A discarded link is closed here, outside the lock.
}

absl::StatusOr<Reply> Pool::Command(std::initializer_list<std::string_view> args) {
  PLAZA_ASSIGN_OR_RETURN(Connection connection, Acquire());
  return connection.Command(args);
}

absl::StatusOr<Reply> Pool::Command(const std::vector<std::string>& args) {
  PLAZA_ASSIGN_OR_RETURN(Connection connection, Acquire());
  return connection.Command(args);
}

absl::StatusOr<std::vector<Reply>> Pool::Pipeline(
    const std::vector<std::vector<std::string>>& commands) {
  if (commands.empty()) return std::vector<Reply>();
  PLAZA_ASSIGN_OR_RETURN(Connection connection, Acquire());
  return connection.Pipeline(commands);
}

absl::StatusOr<Reply> Pool::Eval(const Script& script, const std::vector<std::string>& keys,
                                 const std::vector<std::string>& args) {
  PLAZA_ASSIGN_OR_RETURN(Connection connection, Acquire());
  return connection.Eval(script, keys, args);
}

absl::Status Pool::Ping() { return Command({"PING"}).status(); }

Pool::Connection::Connection(Pool* pool, std::unique_ptr<Link> link)
    : pool_(pool), link_(std::move(link)) {}

Pool::Connection::Connection(Connection&& other) noexcept
    : pool_(other.pool_), link_(std::move(other.link_)) {}

Pool::Connection& Pool::Connection::operator=(Connection&& other) noexcept {
  if (this != &other) {
    if (link_ != nullptr) pool_->Release(std::move(link_));
    pool_ = other.pool_;
    link_ = std::move(other.link_);
  }
  return *this;
}

Pool::Connection::~Connection() {
  if (link_ != nullptr) pool_->Release(std::move(link_));
}

absl::StatusOr<Reply> Pool::Connection::Command(std::initializer_list<std::string_view> args) {
  PLAZA_ASSIGN_OR_RETURN(Reply reply, link_->Send(Argv(args)));
  return FailOnError(std::move(reply));
}

absl::StatusOr<Reply> Pool::Connection::Command(const std::vector<std::string>& args) {
  PLAZA_ASSIGN_OR_RETURN(Reply reply, link_->Send(Argv(args)));
  return FailOnError(std::move(reply));
}

absl::StatusOr<std::vector<Reply>> Pool::Connection::Pipeline(
    const std::vector<std::vector<std::string>>& commands) {
  std::vector<Argv> argvs;
  argvs.reserve(commands.size());
  for (const auto& command : commands) argvs.emplace_back(command);
  PLAZA_ASSIGN_OR_RETURN(std::vector<Reply> replies, link_->SendAll(argvs));
  for (size_t i = 0; i < replies.size(); ++i) {
    if (replies[i].type() == Reply::Type::kError) {
      return Internal(kRedisError, replies[i].str() + " (pipeline command " +
                                       std::to_string(i + 1) + " of " +
                                       std::to_string(replies.size()) + ")");
    }
  }
  return replies;
}

absl::StatusOr<Reply> Pool::Connection::Eval(const Script& script,
                                             const std::vector<std::string>& keys,
                                             const std::vector<std::string>& args) {
  const std::string key_count = std::to_string(keys.size());
  std::vector<std::string_view> argv = {"EVALSHA", script.sha1(), key_count};
  argv.insert(argv.end(), keys.begin(), keys.end());
  argv.insert(argv.end(), args.begin(), args.end());
  PLAZA_ASSIGN_OR_RETURN(Reply reply, link_->Send(Argv(argv)));
  if (reply.type() == Reply::Type::kError && reply.str().starts_with("NOSCRIPT")) {
    // EVAL also caches the script, so the next EVALSHA on this server hits again.
    argv[0] = "EVAL";
    argv[1] = script.source();
    PLAZA_ASSIGN_OR_RETURN(reply, link_->Send(Argv(argv)));
  }
  return FailOnError(std::move(reply));
}

}  // namespace plaza::redis
