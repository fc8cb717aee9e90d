#include "tools/cli/ids.h"

#include <cstdio>
#include <random>

namespace plaza::cli {
namespace {

std::string Hex(uint64_t value, int digits) {
  char text[17];
  std::snprintf(text, sizeof text, "%0*llx", digits, static_cast<unsigned long long>(value));
  return text;
}

}  // namespace

uint64_t RandomBits() {
  std::random_device device;
  return (uint64_t{device()} << 32) | device();
}

std::string NewDeviceId(uint64_t random) { return "cli-" + Hex(random, 16); }

std::string NewClientMessageId(int64_t unix_millis, uint64_t random) {
  return "cli-" + Hex(static_cast<uint64_t>(unix_millis), 1) + "-" + Hex(random, 16);
}

std::string DeviceName(std::string_view host_name) {
  constexpr size_t kMaxBytes = 64;
  std::string name = "plaza CLI";
  if (!host_name.empty()) name += " on " + std::string(host_name);
  if (name.size() > kMaxBytes) name.resize(kMaxBytes);
  return name;
}

}  // namespace plaza::cli
