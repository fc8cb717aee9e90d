#include "plaza/redis/redis.h"

#include <charconv>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>

namespace plaza::redis {
namespace {

[[noreturn]] void BadUrl(const std::string& problem) {
  throw std::invalid_argument("invalid Redis URL: " + problem);
}

// `what` names the field and its range for the error message, e.g. "the port (1-65535)".
int ParseNumber(std::string_view text, int min, int max, const char* what) {
  int value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size() || value < min ||
      value > max) {
    BadUrl(std::string(what) + " is '" + std::string(text) + "'");
  }
  return value;
}

// Credentials may hold ':', '@' or '/' only percent-encoded, as in any URL.
std::string PercentDecode(std::string_view text, const char* what) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string decoded;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      decoded += text[i];
      continue;
    }
    int high = i + 2 < text.size() ? hex(text[i + 1]) : -1;
    int low = i + 2 < text.size() ? hex(text[i + 2]) : -1;
    if (high < 0 || low < 0) BadUrl(std::string("bad %-escape in ") + what);
    decoded += static_cast<char>(high * 16 + low);
    i += 2;
  }
  return decoded;
}

}  // namespace

Endpoint ParseUrl(std::string_view url) {
  constexpr std::string_view kScheme = "redis://";
  constexpr int kMaxDb = std::numeric_limits<int>::max();  // the server knows its real limit
  if (url.starts_with("rediss://")) BadUrl("rediss:// (TLS) is not supported");
  if (!url.starts_with(kScheme)) BadUrl("it must start with redis://");
  std::string_view rest = url.substr(kScheme.size());

  Endpoint endpoint;
  // The last '@' ends the credentials, so an unencoded '@' in a password still parses.
  if (auto at = rest.rfind('@'); at != std::string_view::npos) {
    std::string_view credentials = rest.substr(0, at);
    rest.remove_prefix(at + 1);
    auto colon = credentials.find(':');
    if (colon == std::string_view::npos) {
      BadUrl("credentials must be ':password@' or 'user:password@'");
    }
    endpoint.user = PercentDecode(credentials.substr(0, colon), "the user name");
    endpoint.password = PercentDecode(credentials.substr(colon + 1), "the password");
  }

  if (rest.find('?') != std::string_view::npos) BadUrl("query parameters are not supported");
  std::string_view host_port = rest;
  if (auto slash = rest.find('/'); slash != std::string_view::npos) {
    host_port = rest.substr(0, slash);
    if (std::string_view db = rest.substr(slash + 1); !db.empty()) {
      endpoint.db = ParseNumber(db, 0, kMaxDb, "the database number (0 or more)");
    }
  }

  std::optional<std::string_view> port;
  if (host_port.starts_with('[')) {
    auto close = host_port.find(']');
    if (close == std::string_view::npos) BadUrl("unterminated '[' in an IPv6 host");
    endpoint.host = std::string(host_port.substr(1, close - 1));
    std::string_view after = host_port.substr(close + 1);
    if (!after.empty()) {
      if (!after.starts_with(':')) BadUrl("unexpected text after the IPv6 host");
      port = after.substr(1);
    }
  } else if (auto colon = host_port.find(':'); colon != std::string_view::npos) {
    endpoint.host = std::string(host_port.substr(0, colon));
    port = host_port.substr(colon + 1);
  } else {
    endpoint.host = std::string(host_port);
  }
  if (endpoint.host.empty()) BadUrl("the host is missing");
  if (port) endpoint.port = ParseNumber(*port, 1, 65535, "the port (1-65535)");
  return endpoint;
}

}  // namespace plaza::redis
