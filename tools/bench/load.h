#pragma once

// Closed-loop load: a fixed number of threads, each starting its next operation as soon as its
// previous one returns, so the offered load adapts to the system under test and never queues up
// unboundedly. Every scenario measures with it.

#include <chrono>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tools/bench/stats.h"

namespace plaza::bench {

struct LoadOptions {
  std::string name;  // what is measured, for messages, e.g. "echo"
  int concurrency = 1;
  std::chrono::steady_clock::duration duration{std::chrono::seconds(5)};
  int64_t max_operations = std::numeric_limits<int64_t>::max();
};

// One operation: `index` is 0, 1, 2, ... across all threads, each used once. Returns OK or why
// it failed.
using Operation = std::function<absl::Status(int64_t index)>;

// Runs `operation` on options.concurrency threads until options.max_operations have started
// or options.duration has passed; operations running at that moment finish and count. Blocks
// until all threads are done. `operation` must be thread-safe.
//
// Returns the summary of the successful operations over the wall time from start to the last
// finish; failed ones count as errors, and a warning gives their number and the first one's
// status. If none succeeded, returns the first failure's code with a message naming the
// measurement and quoting that failure.
absl::StatusOr<Summary> RunClosedLoop(const LoadOptions& options, const Operation& operation);

}  // namespace plaza::bench
