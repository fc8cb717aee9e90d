#pragma once

// A small Prometheus registry: counters, gauges and latency histograms with label sets, rendered
// in the text exposition format. Thread-safe.

#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace plaza::rpc {

class Metrics {
 public:
  enum class Kind { kCounter, kGauge, kHistogram };

  // Declares a metric family's help text and kind; rendering includes only declared families.
  void Declare(std::string_view name, Kind kind, std::string_view help);

  // `labels` is a rendered label list without braces, e.g. `method="/a.B/C",code="OK"`; use
  // Labels() to build it with escaping.
  void Add(std::string_view name, const std::string& labels, double amount = 1);
  void Set(std::string_view name, const std::string& labels, double value);
  void Observe(std::string_view name, const std::string& labels, double seconds);

  // Value of a counter or gauge, 0 if never touched. For tests and health logic.
  double Value(std::string_view name, const std::string& labels) const;

  std::string Render() const;

  // Renders name="value" pairs with Prometheus escaping.
  static std::string Labels(std::initializer_list<std::pair<std::string_view, std::string_view>> pairs);

  static const std::vector<double>& LatencyBuckets();

 private:
  struct Histogram {
    std::vector<uint64_t> buckets;  // cumulative at render time, raw counts here
    uint64_t count = 0;
    double sum = 0;
  };
  struct Family {
    Kind kind;
    std::string help;
    std::map<std::string, double> values;
    std::map<std::string, Histogram> histograms;
  };
  mutable std::mutex mutex_;
  std::map<std::string, Family, std::less<>> families_;
};

}  // namespace plaza::rpc
