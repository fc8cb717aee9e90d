#include "tools/cli/line_reader.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

namespace plaza::cli {

std::optional<std::string> LineReader::Next(const std::atomic<bool>& stop) {
  for (;;) {
    if (size_t newline = buffered_.find('\n'); newline != std::string::npos) {
      std::string line = buffered_.substr(0, newline);
      buffered_.erase(0, newline + 1);
      return line;
    }
    if (ended_) {
      if (buffered_.empty()) return std::nullopt;
      return std::exchange(buffered_, std::string());
    }
    if (stop.load()) return std::nullopt;
    pollfd ready{.fd = fd_, .events = POLLIN, .revents = 0};
    int polled = ::poll(&ready, 1, 100);
    if (polled < 0 && errno != EINTR) return std::nullopt;
    if (polled <= 0) continue;
    char chunk[4096];
    ssize_t got = ::read(fd_, chunk, sizeof chunk);
    if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (got <= 0) {
      ended_ = true;
      continue;
    }
    buffered_.append(chunk, static_cast<size_t>(got));
  }
}

}  // namespace plaza::cli
