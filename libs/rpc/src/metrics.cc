#include "plaza/rpc/metrics.h"

#include <algorithm>
#include <sstream>

#include <spdlog/fmt/fmt.h>

namespace plaza::rpc {
namespace {

// Shortest form that round-trips: 0.0025, not 0.0025000000000000001.
std::string FormatNumber(double value) { return fmt::format("{}", value); }

std::string WithLabel(const std::string& labels, const std::string& extra) {
  if (labels.empty()) return "{" + extra + "}";
  return "{" + labels + "," + extra + "}";
}

}  // namespace

const std::vector<double>& Metrics::LatencyBuckets() {
  static const std::vector<double> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                               0.1,    0.25,  0.5,    1,     2.5,  5,     10};
  return kBuckets;
}

std::string Metrics::Labels(
    std::initializer_list<std::pair<std::string_view, std::string_view>> pairs) {
  std::string out;
  for (const auto& [key, value] : pairs) {
    if (!out.empty()) out += ',';
    out.append(key).append("=\"");
    for (char c : value) {
      if (c == '\\' || c == '"') out += '\\';
      if (c == '\n') {
        out += "\\n";
        continue;
      }
      out += c;
    }
    out += '"';
  }
  return out;
}

void Metrics::Declare(std::string_view name, Kind kind, std::string_view help) {
  std::lock_guard lock(mutex_);
  auto& family = families_[std::string(name)];
  family.kind = kind;
  family.help = std::string(help);
}

void Metrics::Add(std::string_view name, const std::string& labels, double amount) {
  std::lock_guard lock(mutex_);
  auto it = families_.find(name);
  if (it != families_.end()) it->second.values[labels] += amount;
}

void Metrics::Set(std::string_view name, const std::string& labels, double value) {
  std::lock_guard lock(mutex_);
  auto it = families_.find(name);
  if (it != families_.end()) it->second.values[labels] = value;
}

void Metrics::Observe(std::string_view name, const std::string& labels, double seconds) {
  const auto& bounds = LatencyBuckets();
  auto bucket = std::lower_bound(bounds.begin(), bounds.end(), seconds) - bounds.begin();
  std::lock_guard lock(mutex_);
  auto it = families_.find(name);
  if (it == families_.end()) return;
  auto& histogram = it->second.histograms[labels];
  if (histogram.buckets.empty()) histogram.buckets.resize(bounds.size() + 1);
  ++histogram.buckets[bucket];
  ++histogram.count;
  histogram.sum += seconds;
}

double Metrics::Value(std::string_view name, const std::string& labels) const {
  std::lock_guard lock(mutex_);
  auto it = families_.find(name);
  if (it == families_.end()) return 0;
  auto value = it->second.values.find(labels);
  return value == it->second.values.end() ? 0 : value->second;
}

std::string Metrics::Render() const {
  static constexpr const char* kKindNames[] = {"counter", "gauge", "histogram"};
  std::ostringstream out;
  std::lock_guard lock(mutex_);
  for (const auto& [name, family] : families_) {
    out << "# HELP " << name << ' ' << family.help << "\n# TYPE " << name << ' '
        << kKindNames[static_cast<int>(family.kind)] << '\n';
    for (const auto& [labels, value] : family.values) {
      out << name << (labels.empty() ? "" : "{" + labels + "}") << ' ' << FormatNumber(value) << '\n';
    }
    for (const auto& [labels, histogram] : family.histograms) {
      uint64_t cumulative = 0;
      const auto& bounds = LatencyBuckets();
      for (size_t i = 0; i <= bounds.size(); ++i) {
        cumulative += histogram.buckets[i];
        std::string le = i < bounds.size() ? FormatNumber(bounds[i]) : "+Inf";
        out << name << "_bucket" << WithLabel(labels, "le=\"" + le + "\"") << ' ' << cumulative << '\n';
      }
      std::string braces = labels.empty() ? "" : "{" + labels + "}";
      out << name << "_sum" << braces << ' ' << FormatNumber(histogram.sum) << '\n';
      out << name << "_count" << braces << ' ' << histogram.count << '\n';
    }
  }
  return out.str();
}

}  // namespace plaza::rpc
