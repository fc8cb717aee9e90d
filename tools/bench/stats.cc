#include "tools/bench/stats.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

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

Comparison Compare(const std::vector<Summary>& base, const std::vector<Summary>& other) {
  if (base.empty() || base.size() != other.size()) {
    std::fprintf(stderr, "plaza::bench::Compare: %zu baseline runs vs. %zu\n", base.size(),
                 other.size());
    std::abort();
  }
  std::vector<double> ratios;
  bool defined = true;
  for (size_t run = 0; run < base.size(); ++run) {
    defined = defined && base[run].per_second > 0;
    ratios.push_back(defined ? other[run].per_second / base[run].per_second : 0);
  }
  return {
      .rate_ratio = defined ? Median(std::move(ratios)) : std::numeric_limits<double>::quiet_NaN(),
      .added_p50_ms = MedianOfRuns(other).p50_ms - MedianOfRuns(base).p50_ms};
}

Arrivals SummarizeArrivals(std::vector<double> arrival_ms, int64_t expected) {
  Arrivals arrivals;
  arrivals.received = static_cast<int64_t>(arrival_ms.size());
  arrivals.missed = std::max<int64_t>(0, expected - arrivals.received);
  if (arrival_ms.empty()) {
    double unknown = std::numeric_limits<double>::quiet_NaN();
    arrivals.p50_ms = arrivals.p99_ms = arrivals.max_ms = unknown;
    return arrivals;
  }
  std::sort(arrival_ms.begin(), arrival_ms.end());
  arrivals.p50_ms = Percentile(arrival_ms, 0.5);
  arrivals.p99_ms = Percentile(arrival_ms, 0.99);
  arrivals.max_ms = arrival_ms.back();
  return arrivals;
}

Deliveries SummarizeDeliveries(const std::vector<SentMessage>& messages) {
  constexpr double kUnknown = std::numeric_limits<double>::quiet_NaN();
  Deliveries result;
  std::vector<double> ack_ms, deliver_ms;
  double first_ms = std::numeric_limits<double>::infinity();
  double last_ms = -std::numeric_limits<double>::infinity();
  for (const SentMessage& message : messages) {
    first_ms = std::min(first_ms, message.sent_ms);
    if (!message.acked_ms) {
      ++result.unacknowledged;
      if (message.received > 0) ++result.delivered_unacknowledged;
      continue;
    }
    ++result.acknowledged;
    ack_ms.push_back(*message.acked_ms - message.sent_ms);
    last_ms = std::max(last_ms, *message.acked_ms);
    result.deliveries += message.received;
    result.missed_deliveries += std::max<int64_t>(0, message.recipients - message.received);
    result.duplicates += std::max<int64_t>(0, message.copies - message.received);
    if (message.received > 0 && message.delivered_ms) {
      last_ms = std::max(last_ms, *message.delivered_ms);
    }
    if (message.recipients <= 0) continue;  // nobody was online to read it
    if (message.received < message.recipients || !message.delivered_ms) {
      ++result.undelivered;
      continue;
    }
    deliver_ms.push_back(*message.delivered_ms - message.sent_ms);
  }
  result.seconds = result.acknowledged > 0 ? (last_ms - first_ms) / 1000 : kUnknown;
  auto summarize = [&](std::vector<double> latencies, int64_t errors) {
    if (latencies.empty() || !(result.seconds > 0)) {
      return Summary{.per_second = 0, .p50_ms = kUnknown, .p99_ms = kUnknown, .errors = errors};
    }
    return Summarize(std::move(latencies), errors, result.seconds);
  };
  result.sent = summarize(std::move(ack_ms), result.unacknowledged);
  result.delivered = summarize(std::move(deliver_ms), result.undelivered);
  result.deliveries_per_second =
      result.seconds > 0 ? static_cast<double>(result.deliveries) / result.seconds : 0;
  return result;
}

void Tally::Add(std::string_view kind, int64_t count) {
  std::lock_guard lock(mutex_);
  auto it = counts_.find(kind);
  if (it == counts_.end()) it = counts_.emplace(std::string(kind), 0).first;
  it->second += count;
}

int64_t Tally::Total() const {
  std::lock_guard lock(mutex_);
  int64_t total = 0;
  for (const auto& [kind, count] : counts_) total += count;
  return total;
}

std::vector<std::pair<std::string, int64_t>> Tally::Sorted() const {
  std::vector<std::pair<std::string, int64_t>> sorted;
  {
    std::lock_guard lock(mutex_);
    sorted.assign(counts_.begin(), counts_.end());
  }
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  return sorted;
}

}  // namespace plaza::bench
