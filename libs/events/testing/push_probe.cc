#include "push_probe.h"

#include <random>
#include <stdexcept>
#include <variant>

#include "plaza/events/wire.h"

namespace plaza::events::testing {

PushProbe::PushProbe(redis::Pool& redis, const std::string& redis_url)
    : registry_(redis, "probe-" + std::to_string(std::random_device{}()),
                std::chrono::seconds(60)) {
  redis::SubscriberOptions options;
  options.url = redis_url;
  options.channels = {InstanceChannel(registry_.instance_id())};
  options.on_message = [this](std::string_view, std::string_view payload) {
    auto message = DecodeInstanceMessage(payload);
    std::lock_guard lock(mutex_);
    v1::Event event;
    if (!message.ok() || !std::holds_alternative<Delivery>(*message) ||
        !event.ParseFromString(std::get<Delivery>(*message).event)) {
      ++unexpected_;
    } else {
      const auto& delivery = std::get<Delivery>(*message);
      for (int64_t user_id : delivery.recipients) {
        auto [first, last] = devices_.equal_range(user_id);
        for (auto device = first; device != last; ++device) {
          if (delivery.exclude && *delivery.exclude == DeviceRef{user_id, device->second}) continue;
          events_[{user_id, device->second}].push_back(event);
        }
      }
    }
    changed_.notify_all();
  };
  subscriber_ = std::make_unique<redis::Subscriber>(std::move(options));
  if (!subscriber_->WaitSubscribed(std::chrono::seconds(5))) {
    throw std::runtime_error("push probe could not subscribe");
  }
}

PushProbe::~PushProbe() { subscriber_.reset(); }

void PushProbe::Connect(int64_t user_id, const std::string& device_id) {
  auto claimed = registry_.Claim(user_id, device_id, ++connections_);
  if (!claimed.ok())
    throw std::runtime_error("push probe could not claim a route: " + claimed.status().ToString());
  std::lock_guard lock(mutex_);
  devices_.emplace(user_id, device_id);
}

std::vector<v1::Event> PushProbe::EventsFor(int64_t user_id, const std::string& device_id,
                                            size_t count, std::chrono::milliseconds wait) {
  std::unique_lock lock(mutex_);
  auto& events = events_[{user_id, device_id}];
  changed_.wait_for(lock, wait, [&] { return events.size() >= count; });
  return events;
}

int PushProbe::unexpected() const {
  std::lock_guard lock(mutex_);
  return unexpected_;
}

}  // namespace plaza::events::testing
