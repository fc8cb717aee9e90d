#pragma once

// Shared by the events tests that run against Redis (PLAZA_TEST_REDIS_URL): ids no other run
// uses, clean-up of route keys, and a listener on a gateway instance's channel.

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "plaza/core/logging.h"
#include "plaza/events/wire.h"
#include "plaza/redis/redis.h"
#include "plaza/redis/subscriber.h"
#include "plaza/testing/testing.h"

namespace plaza::events::testing {

using namespace std::chrono_literals;

template <typename T>
T Ok(absl::StatusOr<T> result) {
  INFO(result.status().ToString());
  REQUIRE(result.ok());
  return *std::move(result);
}

inline void Ok(const absl::Status& status) {
  INFO(status.ToString());
  REQUIRE(status.ok());
}

inline redis::Pool& SharedPool() {
  static redis::Pool pool({.url = plaza::testing::TestRedisUrl(), .max_connections = 4});
  return pool;
}

// User ids drawn from a random range, so runs sharing a Redis never meet.
inline int64_t NewUserId() {
  static std::atomic<int64_t> next = [] {
    std::random_device random;
    return static_cast<int64_t>(random() % 1'000'000'000) * 1'000'000 + 1;
  }();
  return next++;
}

// An instance id unique to this run.
inline std::string NewInstanceId(std::string_view name) {
  static const std::string run = plaza::core::NewRequestId();
  static std::atomic<int> counter{0};
  return "test-" + run + "-" + std::to_string(counter++) + "-" + std::string(name);
}

// Deletes the route keys of the users it handed out when the test ends.
class Users {
 public:
  Users() = default;
  ~Users() {
    std::vector<std::string> del = {"DEL"};
    for (int64_t user : users_) del.push_back(RouteKey(user));
    if (del.size() > 1) static_cast<void>(SharedPool().Command(del));
  }
  Users(const Users&) = delete;
  Users& operator=(const Users&) = delete;

  int64_t New() {
    users_.push_back(NewUserId());
    return users_.back();
  }

 private:
  std::vector<int64_t> users_;
};

// Decodes everything published on one gateway instance's channel.
class Listener {
 public:
  explicit Listener(const std::string& instance_id,
                    std::string url = plaza::testing::TestRedisUrl()) {
    redis::SubscriberOptions options;
    options.url = std::move(url);
    options.channels = {InstanceChannel(instance_id)};
    options.on_message = [this](std::string_view, std::string_view payload) {
      auto message = DecodeInstanceMessage(payload);
      std::lock_guard lock(mutex_);
      if (message.ok()) {
        messages_.push_back(*std::move(message));
      } else {
        ++malformed_;
      }
      changed_.notify_all();
    };
    subscriber_ = std::make_unique<redis::Subscriber>(std::move(options));
    REQUIRE(subscriber_->WaitSubscribed(5s));
  }

  // Waits until `count` messages arrived (or 5 s passed) and returns all of them.
  std::vector<InstanceMessage> WaitFor(size_t count) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, 5s, [&] { return messages_.size() >= count; });
    return messages_;
  }

  int malformed() {
    std::lock_guard lock(mutex_);
    return malformed_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<InstanceMessage> messages_;
  int malformed_ = 0;
  std::unique_ptr<redis::Subscriber> subscriber_;  // last: stopped before the rest goes
};

}  // namespace plaza::events::testing
