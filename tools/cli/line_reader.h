#pragma once

// Reads lines from a file descriptor (a chat's stdin) without blocking past a stop request: the
// chat must end when its push stream stops for good, even while nobody types.

#include <atomic>
#include <optional>
#include <string>

namespace plaza::cli {

class LineReader {
 public:
  explicit LineReader(int fd) : fd_(fd) {}

  // The next line without its newline (a last line without one counts too), or nullopt at end
  // of input, on a read error, or once `stop` is true (checked at least every 100 ms).
  std::optional<std::string> Next(const std::atomic<bool>& stop);

 private:
  int fd_;
  std::string buffered_;
  bool ended_ = false;
};

}  // namespace plaza::cli
