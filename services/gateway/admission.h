#pragma once

// Overload control in the manner of WeChat's DAGOR (Zhou et al., "Overload Control for Scaling
// WeChat Microservices", SoCC 2018). Every request has a compound priority, business first and
// user second; an admission level says which priorities get in. Overload is judged by the
// queueing delay of this gateway (how long work waits before it runs), not by response times,
// which also grow when a backend is slow without this process being overloaded. Each window
// the level moves by what the window's histogram of requests per priority says: up to shed
// about `shed_fraction` of the admitted requests while overloaded, down to admit about
// `restore_fraction` more once not. Because user priorities are spread evenly, shedding within
// a business level refuses the same fraction of users consistently (they get a working app or
// a clear "retry later") rather than failing random calls of every user.

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>

#include "plaza/core/clock.h"

namespace plaza::gateway {

inline constexpr int kBusinessLevels = 8;
inline constexpr int kUserLevels = 128;

// Lower numbers are more important. `business` is in [0, kBusinessLevels) and comes from the
// method (0: signing in, never shed); `user` is in [0, kUserLevels), from UserPriority().
// Values outside those ranges are clamped to them.
struct Priority {
  int business;
  int user;

  friend bool operator==(const Priority&, const Priority&) = default;
};

// Anonymous callers (user 0) neither always win nor always lose against signed-in users: the
// public methods they call (codes, registration, login) mostly have business priority 0 anyway.
inline constexpr int kAnonymousUserPriority = kUserLevels / 2;

// A hash of `user_id` salted with the hour of `now`: within an hour the same users are shed
// first, so those still served get a consistent experience; the next hour it is other users,
// so no one is always last.
int UserPriority(int64_t user_id, core::TimePoint now);

struct AdmissionOptions {
  // Overloaded when the window's average queueing delay exceeds this.
  std::chrono::microseconds delay_threshold = std::chrono::milliseconds(20);
  // A window ends after this long or this many requests, whichever comes first.
  std::chrono::milliseconds window = std::chrono::seconds(1);
  int64_t window_requests = 2000;
  double shed_fraction = 0.05;
  double restore_fraction = 0.01;
};

// Thread-safe. Admit() costs a load of the level and two counter increments (the request's
// priority in the window histogram, the window's length; a third for the shed count when it
// refuses). It takes the mutex only on the one request that fills a window, as the delay probe
// does on every sample.
//
// The level moves only when a window ends holding at least one delay sample: a window that
// reaches its length without one stays open until the next sample, so each measurement moves
// the level at most once and a missing probe leaves the level where it is.
class AdmissionControl {
 public:
  explicit AdmissionControl(const core::Clock& clock, AdmissionOptions options = {});

  // Whether a request of priority `p` gets in: true when it is at least as important as the
  // level. Every request counts towards the window, admitted or not, so that the level can
  // move towards the priorities being refused.
  bool Admit(Priority p);

  // A sample of this process's queueing delay, from a probe running several times a second.
  //
  // The window's average is judged rather than its maximum: one sample caught behind a GC-like
  // stall or a single burst would otherwise shed a slice of traffic that the process serves
  // fine, while real overload keeps every sample high and so moves the average too. DAGOR
  // judges the average as well.
  void ObserveQueueDelay(std::chrono::microseconds delay);

  // The least important priority admitted now: {kBusinessLevels - 1, kUserLevels - 1} when
  // nothing is shed, never above {0, kUserLevels - 1}.
  Priority level() const;

  // Requests refused so far.
  int64_t shed_count() const;

 private:
  static constexpr int kLevels = kBusinessLevels * kUserLevels;
  using Counts = std::array<int64_t, kLevels>;

  static int RankOf(Priority p);
  void MaybeEndWindow();
  int Shed(const Counts& counts, int level) const;
  int Restore(const Counts& counts, int level) const;

  const core::Clock& clock_;
  const AdmissionOptions options_;

  // Priorities are ranked business * kUserLevels + user; a request gets in if its rank is at
  // most `level_`.
  std::atomic<int> level_;
  std::atomic<int64_t> shed_{0};
  std::atomic<int64_t> window_requests_{0};
  std::array<std::atomic<int64_t>, kLevels> window_counts_{};

  std::mutex mutex_;
  core::TimePoint window_start_;            // guarded by mutex_
  std::chrono::microseconds delay_sum_{0};  // guarded by mutex_
  int64_t delay_samples_ = 0;               // guarded by mutex_
};

}  // namespace plaza::gateway
