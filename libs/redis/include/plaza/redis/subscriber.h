#pragma once

// A Redis pub/sub subscriber on its own connection and thread, for a process that must hear what
// other processes publish (the gateway hears the events for the devices it holds).
//
// Redis keeps no history for pub/sub: whatever is published while the subscriber is not
// subscribed (Redis down, connection lost, reconnecting) is gone. The subscriber therefore says
// every time a subscription (re)starts, through on_subscribed, so the owner can redo what the
// loss may have undone: re-register routes, tell clients to resync. Messages on one channel are
// delivered in the order Redis published them.
//
// The subscriber never gives up: when the connection fails it reconnects with a backoff that
// doubles from min_backoff to max_backoff, and resubscribes. A connection that stays silent for
// health_check_interval is probed with PING; if it answers nothing within another
// health_check_interval, it is treated as lost (a peer that vanished without closing the socket).

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "plaza/redis/redis.h"

namespace plaza::redis {

struct SubscriberOptions {
  std::string url;                    // as for Pool, see ParseUrl
  std::vector<std::string> channels;  // SUBSCRIBEd (exact names, no patterns); at least one
  std::chrono::milliseconds connect_timeout{1000};
  std::chrono::milliseconds min_backoff{50};    // first wait after a failure
  std::chrono::milliseconds max_backoff{1000};  // the doubling stops here
  std::chrono::milliseconds health_check_interval{5000};

  // The callbacks must not throw, and must not destroy the Subscriber (they may call Stop()).
  //
  // Called on the subscriber's thread, one call at a time, for each message in order. The payload
  // is binary-safe (it may hold NUL bytes) and valid only during the call. A slow callback delays
  // every later message; if Redis's pub/sub output buffer overflows meanwhile, Redis drops the
  // connection and the subscriber reconnects (and calls on_subscribed again).
  std::function<void(std::string_view channel, std::string_view payload)> on_message;
  // Called on the subscriber's thread once Redis has confirmed every channel: the first time and
  // after every reconnect. Optional.
  std::function<void()> on_subscribed;
};

class Subscriber {
 public:
  // Validates the options (throws std::invalid_argument for a bad URL, no channels, no
  // on_message, non-positive timeouts or backoffs) and starts the thread, which connects and
  // subscribes in the background: construction never waits for Redis. Sets SIGPIPE to ignored if
  // it is at its default, as Pool does.
  explicit Subscriber(SubscriberOptions options);
  // Stop().
  ~Subscriber();
  Subscriber(const Subscriber&) = delete;
  Subscriber& operator=(const Subscriber&) = delete;

  // Ends the subscription and joins the thread; no callback runs after it returns. Prompt: it
  // interrupts a wait for messages or a backoff at once; only a connection attempt in progress
  // (at most connect_timeout) or a callback in progress is waited for. Idempotent. When called
  // from a callback, it only asks the thread to end (a thread cannot join itself).
  void Stop();

  // True while Redis has confirmed the subscription and the connection is believed healthy.
  bool subscribed() const { return subscribed_.load(); }

  // Waits up to `timeout` for subscribed() to be true; returns it.
  bool WaitSubscribed(std::chrono::milliseconds timeout);

 private:
  void Run();
  // One connection: connects, subscribes, delivers; returns when the connection is lost or Stop()
  // is called. Sets `reached_subscribed` when Redis confirmed the channels.
  void RunConnection(bool& reached_subscribed);
  void SetSubscribed(bool subscribed);
  // Sleeps up to `duration`; returns false at once if Stop() was called.
  bool Sleep(std::chrono::milliseconds duration);

  const SubscriberOptions options_;
  const Endpoint endpoint_;
  const std::string address_;  // host:port/db, for logs
  int wake_fd_ = -1;           // an eventfd that Stop() signals, to interrupt poll()
  std::atomic<bool> stopping_{false};
  std::atomic<bool> subscribed_{false};
  std::mutex state_mutex_;  // pairs with subscribed_changed_
  std::condition_variable subscribed_changed_;
  std::mutex join_mutex_;  // one Stop() joins at a time
  std::thread thread_;
};

}  // namespace plaza::redis
