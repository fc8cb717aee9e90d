#include "services/gateway/queue_delay_probe.h"

#include <grpcpp/alarm.h>

namespace plaza::gateway {

QueueDelayProbe::QueueDelayProbe(std::chrono::milliseconds period, Sink sink)
    : period_(period), sink_(std::move(sink)), thread_([this] { Run(); }) {}

QueueDelayProbe::~QueueDelayProbe() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

void QueueDelayProbe::Run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    grpc::Alarm alarm;
    auto set_at = std::chrono::steady_clock::now();
    measuring_ = true;
    alarm.Set(std::chrono::system_clock::now(), [this, set_at](bool fired) {
      if (fired) {
        sink_(std::chrono::duration_cast<std::chrono::microseconds>(
            std::chrono::steady_clock::now() - set_at));
      }
      std::lock_guard done(mutex_);
      measuring_ = false;
      changed_.notify_all();
    });
    // A late callback is the measurement itself, so wait for it rather than cancel it.
    changed_.wait(lock, [this] { return !measuring_; });
    changed_.wait_for(lock, period_, [this] { return stopping_; });
  }
}

}  // namespace plaza::gateway
