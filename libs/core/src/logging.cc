#include "plaza/core/logging.h"

#include <random>

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>

namespace plaza::core {
namespace {

thread_local std::string current_request_id;

// Writes the thread's request id where the pattern says %*.
class RequestIdFlag : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg&, const std::tm&, spdlog::memory_buf_t& dest) override {
    std::string_view id = CurrentRequestId();
    dest.append(id.data(), id.data() + id.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<RequestIdFlag>();
  }
};

}  // namespace

void InitLogging(std::string_view service_name, std::string_view level) {
  auto logger = spdlog::stderr_color_mt(std::string(service_name));
  auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
  formatter->add_flag<RequestIdFlag>('*').set_pattern(
      "%Y-%m-%dT%H:%M:%S.%eZ level=%l service=%n request_id=%* %v");
  logger->set_formatter(std::move(formatter));
  logger->set_level(spdlog::level::from_str(std::string(level)));
  if (level != "off" && logger->level() == spdlog::level::off) logger->set_level(spdlog::level::info);
  spdlog::set_default_logger(std::move(logger));
}

std::string_view CurrentRequestId() {
  return current_request_id.empty() ? std::string_view("-") : std::string_view(current_request_id);
}

RequestIdScope::RequestIdScope(std::string request_id)
    : previous_(std::exchange(current_request_id, std::move(request_id))) {}

RequestIdScope::~RequestIdScope() { current_request_id = std::move(previous_); }

std::string NewRequestId() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  uint64_t bits = engine();
  std::string id(16, '0');
  for (int i = 15; i >= 0; --i, bits >>= 4) id[i] = kHex[bits & 0xf];
  return id;
}

}  // namespace plaza::core
