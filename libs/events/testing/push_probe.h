#pragma once

// For service tests: the gateway's side of pushes in miniature. Acts as one gateway instance,
// holds a route for each device connected to it, and collects the events published to them
// (honouring a delivery's excluded device), so a test sees exactly what each device would get.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "plaza/events/routes.h"
#include "plaza/events/v1/event.pb.h"
#include "plaza/redis/redis.h"
#include "plaza/redis/subscriber.h"

namespace plaza::events::testing {

class PushProbe {
 public:
  PushProbe(redis::Pool& redis, const std::string& redis_url);
  ~PushProbe();

  void Connect(int64_t user_id, const std::string& device_id);

  // Every event for the device so far, once there are `count` of them or `wait` passed. Messages
  // on a channel keep their order, so an event published before the count-th is among them.
  std::vector<v1::Event> EventsFor(int64_t user_id, const std::string& device_id, size_t count,
                                   std::chrono::milliseconds wait = std::chrono::seconds(5));
  // Deliveries that were not events, or events that did not parse.
  int unexpected() const;

 private:
  RouteRegistry registry_;
  uint64_t connections_ = 0;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::map<std::pair<int64_t, std::string>, std::vector<v1::Event>> events_;
  std::multimap<int64_t, std::string> devices_;
  int unexpected_ = 0;
  std::unique_ptr<redis::Subscriber> subscriber_;  // last: stopped before the rest goes
};

}  // namespace plaza::events::testing
