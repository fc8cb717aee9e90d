#include "tools/bench/stats.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace plaza::bench {

double Percentile(std::span<const double> sorted, double q) {
  if (sorted.empty() || !(q >= 0 && q <= 1)) {
    std::fprintf(stderr, "plaza::bench::Percentile: empty input or q=%g outside [0, 1]\n", q);
    std::abort();
  }
  double rank = q * static_cast<double>(sorted.size() - 1);
  auto lower = static_cast<size_t>(std::floor(rank));
  size_t upper = std::min(lower + 1, sorted.size() - 1);
  double fraction = rank - static_cast<double>(lower);
  return sorted[lower] + (sorted[upper] - sorted[lower]) * fraction;
}

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return Percentile(values, 0.5);
}

Summary Summarize(std::vector<double> latencies_ms, int64_t errors, double seconds) {
  std::sort(latencies_ms.begin(), latencies_ms.end());
  return {.per_second = static_cast<double>(latencies_ms.size()) / seconds,
          .p50_ms = Percentile(latencies_ms, 0.5),
          .p99_ms = Percentile(latencies_ms, 0.99),
          .errors = errors};
}

Summary MedianOfRuns(const std::vector<Summary>& runs) {
  std::vector<double> per_second, p50, p99;
  Summary median;
  for (const Summary& run : runs) {
    per_second.push_back(run.per_second);
    p50.push_back(run.p50_ms);
    p99.push_back(run.p99_ms);
    median.errors += run.errors;
  }
  median.per_second = Median(std::move(per_second));
  median.p50_ms = Median(std::move(p50));
  median.p99_ms = Median(std::move(p99));
  return median;
}

}  // namespace plaza::bench
