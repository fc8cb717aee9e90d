#include "tools/bench/report.h"

#include <spdlog/fmt/fmt.h>

#include <cmath>

namespace plaza::bench {
namespace {

std::string JsonString(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += fmt::format("\\u{:04x}", static_cast<int>(c));
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

// JSON has no NaN or infinity; a ratio over a zero rate is unknown, not a number.
std::string JsonNumber(double value) {
  return std::isfinite(value) ? fmt::format("{:.6g}", value) : "null";
}

}  // namespace

std::string RenderTable(const Report& report) {
  std::string out = report.scenario + ":";
  for (const auto& [name, value] : report.parameters) out += fmt::format(" {}={}", name, value);
  out += " (medians of the runs; errors are totals)\n";
  size_t width = 9;  // "operation"
  for (const auto& [name, summary] : report.operations) width = std::max(width, name.size());
  if (!report.operations.empty()) {
    out += fmt::format("{:<{}}  {:>10}  {:>9}  {:>9}  {:>7}\n", "operation", width, "per second",
                       "p50 ms", "p99 ms", "errors");
  }
  for (const auto& [name, summary] : report.operations) {
    out += fmt::format("{:<{}}  {:>10.1f}  {:>9.3f}  {:>9.3f}  {:>7}\n", name, width,
                       summary.per_second, summary.p50_ms, summary.p99_ms, summary.errors);
  }
  for (const auto& [name, value] : report.ratios) out += fmt::format("{}: {:.3f}\n", name, value);
  for (const auto& [name, value] : report.figures) {
    out += std::isfinite(value) ? fmt::format("{}: {:.3f}\n", name, value)
                                : fmt::format("{}: n/a\n", name);
  }
  for (const auto& [name, count] : report.counts) out += fmt::format("{}: {}\n", name, count);
  for (const std::string& note : report.notes) out += "note: " + note + "\n";
  return out;
}

std::string RenderJson(const Report& report) {
  std::string out = "{\"scenario\": " + JsonString(report.scenario) + ", \"parameters\": {";
  for (size_t i = 0; i < report.parameters.size(); ++i) {
    const auto& [name, value] = report.parameters[i];
    out += fmt::format("{}{}: {}", i == 0 ? "" : ", ", JsonString(name), value);
  }
  out += "}, \"operations\": [";
  for (size_t i = 0; i < report.operations.size(); ++i) {
    const auto& [name, summary] = report.operations[i];
    out += fmt::format(
        R"({}{{"name": {}, "per_second": {}, "p50_ms": {}, "p99_ms": {}, "errors": {}}})",
        i == 0 ? "" : ", ", JsonString(name), JsonNumber(summary.per_second),
        JsonNumber(summary.p50_ms), JsonNumber(summary.p99_ms), summary.errors);
  }
  out += "], \"ratios\": {";
  for (size_t i = 0; i < report.ratios.size(); ++i) {
    const auto& [name, value] = report.ratios[i];
    out += fmt::format("{}{}: {}", i == 0 ? "" : ", ", JsonString(name), JsonNumber(value));
  }
  out += "}";
  if (!report.figures.empty()) {
    out += ", \"figures\": {";
    for (size_t i = 0; i < report.figures.size(); ++i) {
      const auto& [name, value] = report.figures[i];
      out += fmt::format("{}{}: {}", i == 0 ? "" : ", ", JsonString(name), JsonNumber(value));
    }
    out += "}";
  }
  if (!report.counts.empty()) {
    out += ", \"counts\": {";
    for (size_t i = 0; i < report.counts.size(); ++i) {
      const auto& [name, count] = report.counts[i];
      out += fmt::format("{}{}: {}", i == 0 ? "" : ", ", JsonString(name), count);
    }
    out += "}";
  }
  if (!report.notes.empty()) {
    out += ", \"notes\": [";
    for (size_t i = 0; i < report.notes.size(); ++i) {
      out += (i == 0 ? "" : ", ") + JsonString(report.notes[i]);
    }
    out += "]";
  }
  return out + "}\n";
}

}  // namespace plaza::bench
