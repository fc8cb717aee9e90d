#include "tools/bench/load.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

namespace plaza::bench {
namespace {

using Clock = std::chrono::steady_clock;

// Each thread records into its own slot, so measuring takes no lock.
struct WorkerResult {
  std::vector<double> latencies_ms;
  int64_t errors = 0;
  absl::Status first_error;
  Clock::time_point finished;
};

}  // namespace

absl::StatusOr<Summary> RunClosedLoop(const LoadOptions& options, const Operation& operation) {
  std::atomic<int64_t> next_index{0};
  std::vector<WorkerResult> results(static_cast<size_t>(options.concurrency));
  const Clock::time_point start = Clock::now();
  const Clock::time_point deadline = start + options.duration;
  {
    std::vector<std::jthread> threads;
    threads.reserve(results.size());
    for (WorkerResult& result : results) {
      threads.emplace_back([&] {
        for (Clock::time_point begin = Clock::now(); begin < deadline; begin = Clock::now()) {
          int64_t index = next_index.fetch_add(1);
          if (index >= options.max_operations) break;
          absl::Status status = operation(index);
          if (status.ok()) {
            result.latencies_ms.push_back(
                std::chrono::duration<double, std::milli>(Clock::now() - begin).count());
          } else if (result.errors++ == 0) {
            result.first_error = std::move(status);
          }
        }
        result.finished = Clock::now();
      });
    }
  }

  std::vector<double> latencies_ms;
  int64_t errors = 0;
  absl::Status first_error;
  Clock::time_point finished = start;
  for (WorkerResult& result : results) {
    latencies_ms.insert(latencies_ms.end(), result.latencies_ms.begin(), result.latencies_ms.end());
    errors += result.errors;
    if (first_error.ok()) first_error = result.first_error;
    finished = std::max(finished, result.finished);
  }
  if (latencies_ms.empty()) {
    return absl::Status(
        first_error.ok() ? absl::StatusCode::kDeadlineExceeded : first_error.code(),
        options.name + ": no operation succeeded; first error: " + first_error.ToString());
  }
  if (errors > 0) {
    spdlog::warn("{}: {} of {} operations failed; first: {}", options.name, errors,
                 errors + static_cast<int64_t>(latencies_ms.size()), first_error.ToString());
  }
  return Summarize(std::move(latencies_ms), errors,
                   std::chrono::duration<double>(finished - start).count());
}

}  // namespace plaza::bench
