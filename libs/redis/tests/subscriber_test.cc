#include "plaza/redis/subscriber.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "plaza/core/logging.h"
#include "plaza/redis/redis.h"
#include "plaza/testing/testing.h"

using namespace std::chrono_literals;
using plaza::redis::Pool;
using plaza::redis::Subscriber;
using plaza::redis::SubscriberOptions;
using plaza::testing::RedisServer;

namespace {

template <typename T>
T Value(absl::StatusOr<T> result) {
  INFO(result.status().ToString());
  REQUIRE(result.ok());
  return *std::move(result);
}

// A channel name no other test run uses.
std::string Channel(std::string_view name) {
  static const std::string run = plaza::core::NewRequestId();
  return "plaza:test:" + run + ":" + std::string(name);
}

// What a subscriber heard, for the test thread to wait on.
class Inbox {
 public:
  struct Message {
    std::string channel;
    std::string payload;
  };

  // Options wired to this inbox.
  SubscriberOptions Options(std::string url, std::vector<std::string> channels) {
    SubscriberOptions options;
    options.url = std::move(url);
    options.channels = std::move(channels);
    options.on_message = [this](std::string_view channel, std::string_view payload) {
      std::lock_guard lock(mutex_);
      messages_.push_back({std::string(channel), std::string(payload)});
      changed_.notify_all();
    };
    options.on_subscribed = [this] {
      std::lock_guard lock(mutex_);
      ++subscriptions_;
      changed_.notify_all();
    };
    return options;
  }

  // Waits up to `timeout` for `done(messages, subscriptions)`.
  bool WaitFor(std::function<bool(const std::vector<Message>&, int)> done,
               std::chrono::milliseconds timeout = 5s) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return done(messages_, subscriptions_); });
  }
  bool WaitForMessages(size_t count, std::chrono::milliseconds timeout = 5s) {
    return WaitFor([&](const auto& messages, int) { return messages.size() >= count; }, timeout);
  }
  bool WaitForSubscriptions(int count, std::chrono::milliseconds timeout = 5s) {
    return WaitFor([&](const auto&, int subscriptions) { return subscriptions >= count; }, timeout);
  }

  std::vector<Message> messages() {
    std::lock_guard lock(mutex_);
    return messages_;
  }
  int subscriptions() {
    std::lock_guard lock(mutex_);
    return subscriptions_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Message> messages_;
  int subscriptions_ = 0;
};

std::chrono::milliseconds Timed(const std::function<void()>& action) {
  auto start = std::chrono::steady_clock::now();
  action();
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               start);
}

}  // namespace

TEST_CASE("A subscriber delivers many binary messages in order, each with its channel",
          "[redis][subscriber][db]") {
  Pool pool({.url = plaza::testing::TestRedisUrl()});
  Inbox inbox;
  const std::string first = Channel("first"), second = Channel("second");
  Subscriber subscriber(inbox.Options(plaza::testing::TestRedisUrl(), {first, second}));
  REQUIRE(subscriber.WaitSubscribed(5s));
  CHECK(subscriber.subscribed());
  CHECK(inbox.WaitForSubscriptions(1));

  constexpr int kMessages = 3000;
  std::vector<std::vector<std::string>> publishes;
  for (int i = 0; i < kMessages; ++i) {
    // NUL bytes, newlines and high bytes survive.
    std::string payload = std::to_string(i) + std::string("\0\n\xff", 3);
    publishes.push_back({"PUBLISH", i % 3 == 0 ? second : first, std::move(payload)});
  }
  // In pipelined batches, so the subscriber sees bursts as well as single messages.
  for (size_t start = 0; start < publishes.size(); start += 500) {
    std::vector<std::vector<std::string>> batch(
        publishes.begin() + static_cast<std::ptrdiff_t>(start),
        publishes.begin() + static_cast<std::ptrdiff_t>(start + 500));
    for (const auto& reply : Value(pool.Pipeline(batch))) CHECK(reply.integer() == 1);
  }
  // Unsubscribed channels are not heard.
  Value(pool.Command({"PUBLISH", Channel("other"), "x"}));

  REQUIRE(inbox.WaitForMessages(kMessages));
  std::vector<Inbox::Message> messages = inbox.messages();
  REQUIRE(messages.size() == kMessages);
  for (int i = 0; i < kMessages; ++i) {
    INFO("message " << i);
    CHECK(messages[i].channel == publishes[i][1]);
    CHECK(messages[i].payload == publishes[i][2]);
  }
  CHECK(inbox.subscriptions() == 1);
}

TEST_CASE("A subscriber resubscribes after Redis restarts and says so through on_subscribed",
          "[redis][subscriber][db]") {
  RedisServer server({"--requirepass", "s3cret"});
  Inbox inbox;
  const std::string channel = Channel("restart");
  SubscriberOptions options = inbox.Options(server.Url(":s3cret@", 2), {channel});
  Subscriber subscriber(std::move(options));
  REQUIRE(inbox.WaitForSubscriptions(1));

  {
    Pool pool({.url = server.Url(":s3cret@", 0)});
    CHECK(Value(pool.Command({"PUBLISH", channel, "before"})).integer() == 1);
    REQUIRE(inbox.WaitForMessages(1));
  }

  server.Stop();
  // The lost connection is noticed at once (the socket closes).
  auto deadline = std::chrono::steady_clock::now() + 2s;
  while (subscriber.subscribed() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  CHECK_FALSE(subscriber.subscribed());
  // Down for a while: several reconnect attempts fail and back off.
  std::this_thread::sleep_for(700ms);
  CHECK(inbox.subscriptions() == 1);

  server.Start();
  // Backoff is at most 1 s, so the subscription is back soon after the restart.
  REQUIRE(inbox.WaitForSubscriptions(2, 3s));
  CHECK(subscriber.subscribed());
  Pool pool({.url = server.Url(":s3cret@", 0)});
  CHECK(Value(pool.Command({"PUBLISH", channel, "after"})).integer() == 1);
  REQUIRE(inbox.WaitForMessages(2));
  CHECK(inbox.messages()[1].payload == "after");
  CHECK(inbox.subscriptions() == 2);
}

TEST_CASE("A subscriber whose Redis stops answering reconnects after the health check",
          "[redis][subscriber][db]") {
  RedisServer server;
  Inbox inbox;
  const std::string channel = Channel("paused");
  SubscriberOptions options = inbox.Options(server.Url(), {channel});
  options.health_check_interval = 100ms;
  Subscriber subscriber(std::move(options));
  REQUIRE(inbox.WaitForSubscriptions(1));
  // Stays subscribed while Redis answers its PINGs.
  std::this_thread::sleep_for(350ms);
  CHECK(inbox.subscriptions() == 1);
  CHECK(subscriber.subscribed());

  // Redis holds every client's commands, PING included, as a hung server would.
  Pool pool({.url = server.Url()});
  Value(pool.Command({"CLIENT", "PAUSE", "800", "ALL"}));
  std::this_thread::sleep_for(400ms);
  CHECK_FALSE(subscriber.subscribed());
  REQUIRE(inbox.WaitForSubscriptions(2, 3s));
  CHECK(subscriber.subscribed());
}

TEST_CASE("Stop ends a subscriber promptly, subscribed or not", "[redis][subscriber][db]") {
  SECTION("while subscribed and idle") {
    Inbox inbox;
    Subscriber subscriber(inbox.Options(plaza::testing::TestRedisUrl(), {Channel("stop")}));
    REQUIRE(subscriber.WaitSubscribed(5s));
    CHECK(Timed([&] { subscriber.Stop(); }) < 100ms);
    CHECK_FALSE(subscriber.subscribed());
    subscriber.Stop();  // idempotent
  }
  SECTION("while Redis is down and it backs off") {
    Inbox inbox;
    SubscriberOptions options = inbox.Options(
        "redis://127.0.0.1:" + std::to_string(plaza::testing::FreePort()), {Channel("nowhere")});
    options.min_backoff = 1s;
    options.max_backoff = 5s;
    auto subscriber = std::make_unique<Subscriber>(std::move(options));
    CHECK_FALSE(subscriber->WaitSubscribed(200ms));
    CHECK(Timed([&] { subscriber.reset(); }) < 100ms);
    CHECK(inbox.subscriptions() == 0);
  }
  SECTION("from inside a callback") {
    Inbox inbox;
    std::unique_ptr<Subscriber> subscriber;
    std::atomic<int> calls{0};
    SubscriberOptions options = inbox.Options(plaza::testing::TestRedisUrl(), {Channel("self")});
    options.on_message = [&](std::string_view, std::string_view) {
      ++calls;
      subscriber->Stop();
    };
    subscriber = std::make_unique<Subscriber>(std::move(options));
    REQUIRE(subscriber->WaitSubscribed(5s));
    Pool pool({.url = plaza::testing::TestRedisUrl()});
    Value(pool.Command({"PUBLISH", Channel("self"), "1"}));
    Value(pool.Command({"PUBLISH", Channel("self"), "2"}));
    auto deadline = std::chrono::steady_clock::now() + 2s;
    while (subscriber->subscribed() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(10ms);
    }
    subscriber.reset();
    CHECK(calls.load() == 1);
  }
}

TEST_CASE("Subscriber options are checked up front", "[redis][subscriber][db]") {
  auto on_message = [](std::string_view, std::string_view) {};
  CHECK_THROWS_AS(Subscriber({.url = "http://x", .channels = {"c"}, .on_message = on_message}),
                  std::invalid_argument);
  CHECK_THROWS_AS(Subscriber({.url = "redis://127.0.0.1", .on_message = on_message}),
                  std::invalid_argument);
  CHECK_THROWS_AS(Subscriber({.url = "redis://127.0.0.1", .channels = {"c"}}),
                  std::invalid_argument);
  CHECK_THROWS_AS(Subscriber({.url = "redis://127.0.0.1",
                              .channels = {"c"},
                              .min_backoff = 2s,
                              .max_backoff = 1s,
                              .on_message = on_message}),
                  std::invalid_argument);
}
