#include "tools/cli/line_reader.h"

#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

namespace {

// Both ends of a pipe, closed at the end.
struct Pipe {
  Pipe() { REQUIRE(::pipe(fds) == 0); }
  ~Pipe() {
    CloseWriter();
    ::close(fds[0]);
  }
  void Write(std::string_view text) const {
    REQUIRE(::write(fds[1], text.data(), text.size()) == static_cast<ssize_t>(text.size()));
  }
  void CloseWriter() {
    if (fds[1] >= 0) ::close(fds[1]);
    fds[1] = -1;
  }
  int fds[2] = {-1, -1};
};

}  // namespace

TEST_CASE("Lines come one at a time, including a last one without newline", "[cli][input]") {
  Pipe pipe;
  pipe.Write("hello\n\nworld\nlast");
  pipe.CloseWriter();
  plaza::cli::LineReader reader(pipe.fds[0]);
  std::atomic<bool> stop{false};
  CHECK(reader.Next(stop) == "hello");
  CHECK(reader.Next(stop) == "");
  CHECK(reader.Next(stop) == "world");
  CHECK(reader.Next(stop) == "last");
  CHECK_FALSE(reader.Next(stop).has_value());
}

TEST_CASE("A stop request ends the wait for input", "[cli][input]") {
  Pipe pipe;
  plaza::cli::LineReader reader(pipe.fds[0]);
  std::atomic<bool> stop{false};
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    stop = true;
  });
  auto started = std::chrono::steady_clock::now();
  CHECK_FALSE(reader.Next(stop).has_value());
  stopper.join();
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(2));
}
