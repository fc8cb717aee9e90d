#pragma once

// One spdlog logger per process, named after the service. Every line carries the request id of
// the RPC being handled on this thread (or "-"), so one request's lines can be found together.
// Never log tokens, codes, passwords or PINs.

#include <memory>
#include <string>
#include <string_view>

#include <spdlog/spdlog.h>

namespace plaza::core {

// Creates the process logger (stderr, key=value friendly pattern) and makes it spdlog's default.
// `level` is one of trace, debug, info, warn, error, critical, off; unknown levels mean info.
void InitLogging(std::string_view service_name, std::string_view level);

// The request id of the RPC handled on this thread, or "-".
std::string_view CurrentRequestId();

// Sets the current thread's request id for its lifetime; restores the previous one after.
class RequestIdScope {
 public:
  explicit RequestIdScope(std::string request_id);
  ~RequestIdScope();
  RequestIdScope(const RequestIdScope&) = delete;
  RequestIdScope& operator=(const RequestIdScope&) = delete;

 private:
  std::string previous_;
};

// A fresh random request id (16 hex characters).
std::string NewRequestId();

}  // namespace plaza::core
