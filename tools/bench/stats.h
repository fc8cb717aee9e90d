#pragma once

// The statistics plaza-bench reports: latency percentiles and rates of one run, and medians
// across runs. Pure functions, unit-tested in tests/stats_test.cc.

#include <cstdint>
#include <span>
#include <vector>

namespace plaza::bench {

// The q-quantile (0 <= q <= 1) of `sorted` (ascending, not empty), interpolated linearly between
// the two nearest ranks: q = 0 is the minimum, q = 1 the maximum, q = 0.5 of {1, 2, 3, 4} is
// 2.5. Aborts on an empty input or a q outside [0, 1] (a programming error).
double Percentile(std::span<const double> sorted, double q);

// The median of `values` (not empty; any order), as Percentile(sorted values, 0.5).
double Median(std::vector<double> values);

// One measured operation: in one run, or the medians of several runs.
struct Summary {
  double per_second = 0;  // successful operations per second of wall time
  double p50_ms = 0;      // latencies of the successful operations
  double p99_ms = 0;
  int64_t errors = 0;  // failed operations (their latencies are not counted)
};

// The summary of one run that completed latencies_ms.size() operations (at least one; any
// order) and `errors` failed ones in `seconds` of wall time (> 0).
Summary Summarize(std::vector<double> latencies_ms, int64_t errors, double seconds);

// Each rate and latency is the median of `runs` (not empty); errors are the total of all runs,
// so that no failure hides behind a median.
Summary MedianOfRuns(const std::vector<Summary>& runs);

}  // namespace plaza::bench
