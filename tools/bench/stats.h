#pragma once

#include <chrono>

// The statistics plaza-bench reports: latency percentiles and rates of one run, and medians
// across runs. Pure functions, unit-tested in tests/stats_test.cc.

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
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

// How a target compares with a baseline measured alongside it in the same runs.
struct Comparison {
  double rate_ratio = 0;    // median over runs of other.per_second / base.per_second
  double added_p50_ms = 0;  // median of other's p50s minus median of base's p50s
};

// `base` and `other` hold one summary per run, paired by index (same size, not empty; aborts
// otherwise). Pairing the rates per run means a run that was slower for both (a busy machine)
// skews the ratio less. The ratio is NaN if a baseline rate is not positive.
Comparison Compare(const std::vector<Summary>& base, const std::vector<Summary>& other);

// One message sent to `expected` receivers at once: when each got it, in milliseconds after it
// was sent.
struct Arrivals {
  double p50_ms = 0;  // NaN when nobody got it
  double p99_ms = 0;
  double max_ms = 0;  // the last receiver: how long the whole fan-out took
  int64_t received = 0;
  int64_t missed = 0;  // expected - received, never negative
};

// `arrival_ms` has one entry per receiver that got the message (any order).
Arrivals SummarizeArrivals(std::vector<double> arrival_ms, int64_t expected);

// One message from a sender to its recipients (one in a direct chat, every other online member
// in a group), as they all saw it: times in milliseconds after a common origin (e.g. the start of
// the run).
struct SentMessage {
  double sent_ms = 0;              // the send started
  std::optional<double> acked_ms;  // the sender got the server's OK; nullopt if it did not
  // When the last recipient who read it first did; nullopt if nobody read it.
  std::optional<double> delivered_ms;
  int64_t recipients = 1;  // recipients it was meant for (online when it was sent)
  int64_t received = 0;    // of those, how many read it (at most `recipients`)
  int64_t copies = 0;      // reads in all: more than `received` are duplicates
};

// What a run of sends achieved. Only acknowledged messages count as sent or delivered: an
// unacknowledged one may or may not be stored, and the sender would retry it.
struct Deliveries {
  // Acknowledged sends per second of `seconds`, with the send → acknowledgement latencies;
  // errors = sends without an acknowledgement.
  Summary sent;
  // Acknowledged messages that reached every recipient, per second of `seconds`, with the
  // send → last recipient latencies; errors = acknowledged messages that missed a recipient.
  Summary delivered;
  int64_t acknowledged = 0;
  int64_t unacknowledged = 0;
  int64_t undelivered = 0;               // acknowledged, missed by at least one recipient
  int64_t delivered_unacknowledged = 0;  // read by someone although the send failed
  int64_t duplicates = 0;                // extra copies of acknowledged messages
  // Of acknowledged messages: one per (message, recipient who read it), per second of
  // `seconds`, and the (message, recipient) pairs that never happened.
  int64_t deliveries = 0;
  double deliveries_per_second = 0;
  int64_t missed_deliveries = 0;
  // From the first send to the last acknowledgement or read of an acknowledged message (NaN
  // without one): the time the rates are over.
  double seconds = 0;
};

// Summarizes `messages` (any order). Latencies and rates are NaN and 0 when nothing was
// acknowledged, or delivered.
Deliveries SummarizeDeliveries(const std::vector<SentMessage>& messages);

// Failures counted by kind, e.g. "RESOURCE_EXHAUSTED RATE_LIMITED". Thread-safe.
class Tally {
 public:
  void Add(std::string_view kind, int64_t count = 1);
  int64_t Total() const;
  // Every kind with its count, the most frequent first (ties by name).
  std::vector<std::pair<std::string, int64_t>> Sorted() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, int64_t, std::less<>> counts_;
};

// A duration in (fractional) milliseconds, as reports print them.
inline double Millis(std::chrono::steady_clock::duration duration) {
  return std::chrono::duration<double, std::milli>(duration).count();
}

// A duration in (fractional) seconds.
inline double Seconds(std::chrono::steady_clock::duration duration) {
  return std::chrono::duration<double>(duration).count();
}

}  // namespace plaza::bench
