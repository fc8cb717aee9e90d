#include "services/gateway/admission.h"

#include <algorithm>
#include <numeric>

namespace plaza::gateway {
namespace {

// The most that can be shed: everything but business priority 0 (signing in), whatever the
// user priority.
constexpr int kTightestLevel = kUserLevels - 1;

// SplitMix64's finaliser: every input bit affects every output bit, so consecutive user ids and
// hours give unrelated priorities.
uint64_t Mix(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

}  // namespace

int UserPriority(int64_t user_id, core::TimePoint now) {
  if (user_id == 0) return kAnonymousUserPriority;
  auto hour =
      static_cast<uint64_t>(std::chrono::floor<std::chrono::hours>(now.time_since_epoch()).count());
  return static_cast<int>(Mix(static_cast<uint64_t>(user_id) ^ Mix(hour)) % kUserLevels);
}

AdmissionControl::AdmissionControl(const core::Clock& clock, AdmissionOptions options)
    : clock_(clock), options_(options), level_(kLevels - 1), window_start_(clock.Now()) {}

int AdmissionControl::RankOf(Priority p) {
  return std::clamp(p.business, 0, kBusinessLevels - 1) * kUserLevels +
         std::clamp(p.user, 0, kUserLevels - 1);
}

bool AdmissionControl::Admit(Priority p) {
  const int rank = RankOf(p);
  window_counts_[rank].fetch_add(1, std::memory_order_relaxed);
  const bool admitted = rank <= level_.load(std::memory_order_relaxed);
  if (!admitted) shed_.fetch_add(1, std::memory_order_relaxed);
  if (window_requests_.fetch_add(1, std::memory_order_relaxed) + 1 == options_.window_requests) {
    std::lock_guard lock(mutex_);
    MaybeEndWindow();
  }
  return admitted;
}

void AdmissionControl::ObserveQueueDelay(std::chrono::microseconds delay) {
  std::lock_guard lock(mutex_);
  delay_sum_ += delay;
  ++delay_samples_;
  MaybeEndWindow();
}

Priority AdmissionControl::level() const {
  int level = level_.load(std::memory_order_relaxed);
  return Priority{level / kUserLevels, level % kUserLevels};
}

int64_t AdmissionControl::shed_count() const { return shed_.load(std::memory_order_relaxed); }

void AdmissionControl::MaybeEndWindow() {
  const core::TimePoint now = clock_.Now();
  // A clock stepped back restarts the window instead of stalling it until time catches up.
  if (now < window_start_) window_start_ = now;
  const bool full = window_requests_.load(std::memory_order_relaxed) >= options_.window_requests;
  if (delay_samples_ == 0 || (!full && now - window_start_ < options_.window)) return;

  // Requests counted while this runs land in one window or the next; either is fine.
  Counts counts;
  for (int i = 0; i < kLevels; ++i) {
    counts[i] = window_counts_[i].exchange(0, std::memory_order_relaxed);
  }
  window_requests_.store(0, std::memory_order_relaxed);
  const bool overloaded = delay_sum_ / delay_samples_ > options_.delay_threshold;
  const int level = level_.load(std::memory_order_relaxed);
  level_.store(overloaded ? Shed(counts, level) : Restore(counts, level),
               std::memory_order_relaxed);
  window_start_ = now;
  delay_sum_ = std::chrono::microseconds(0);
  delay_samples_ = 0;
}

int AdmissionControl::Shed(const Counts& counts, int level) const {
  const int64_t admitted = std::accumulate(counts.begin(), counts.begin() + level + 1, int64_t{0});
  const double target = static_cast<double>(admitted) * (1 - options_.shed_fraction);
  // At least one step, even when the window saw nothing at the level to judge by.
  int64_t kept = admitted;
  while (level > kTightestLevel) {
    kept -= counts[level--];
    if (static_cast<double>(kept) <= target) break;
  }
  return level;
}

int AdmissionControl::Restore(const Counts& counts, int level) const {
  const int64_t admitted = std::accumulate(counts.begin(), counts.begin() + level + 1, int64_t{0});
  // At least one request more: when nothing got in, (1 + restore_fraction) * 0 would move the
  // level by one user priority per window.
  const double target = std::max(static_cast<double>(admitted) * (1 + options_.restore_fraction),
                                 static_cast<double>(admitted + 1));
  int64_t kept = admitted;
  while (level < kLevels - 1) {
    kept += counts[++level];
    if (static_cast<double>(kept) >= target) break;
  }
  return level;
}

}  // namespace plaza::gateway
