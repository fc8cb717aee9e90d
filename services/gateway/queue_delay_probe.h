#pragma once

// Measures how long work waits in the gateway's gRPC callback executor, the queueing delay that
// overload control reacts to: a timer due "now" is set every period, and how late its callback
// runs is the time any call's callback would have waited in the same queue. Unlike response
// time, this does not grow when a backend is slow, so a slow backend does not make the gateway
// shed calls for other routes.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace plaza::gateway {

class QueueDelayProbe {
 public:
  using Sink = std::function<void(std::chrono::microseconds)>;

  QueueDelayProbe(std::chrono::milliseconds period, Sink sink);
  ~QueueDelayProbe();  // stops the probe and waits for an outstanding measurement

 private:
  void Run();

  const std::chrono::milliseconds period_;
  const Sink sink_;
  std::mutex mutex_;
  std::condition_variable changed_;
  bool stopping_ = false;
  bool measuring_ = false;
  std::thread thread_;
};

}  // namespace plaza::gateway
