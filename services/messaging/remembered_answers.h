#pragma once

// Another service's answers, remembered so a hot path (every send) does not ask each time — but
// trusted only while that service's announcements of changes are heard (an announcement made
// while the subscription was down would be missed), for a bounded time, and never past an
// announcement that concerns them. A generation counter, bumped by every forgetting, keeps an
// answer asked before an announcement from being remembered after it.
//
// Answers are keyed by a pair of ids; an announcement forgets one key, every key with a given
// first id, or everything.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "plaza/redis/subscriber.h"

namespace plaza::messaging {

// What an announcement makes a listener forget.
struct Forgetting {
  enum class Scope { kEverything, kFirst, kKey };
  Scope scope = Scope::kEverything;
  std::pair<int64_t, int64_t> key{0, 0};  // kFirst uses key.first
};

template <typename Answer>
class RememberedAnswers {
 public:
  using Key = std::pair<int64_t, int64_t>;
  using SteadyTime = std::chrono::steady_clock::time_point;

  // What Find saw, to hand back to Remember.
  struct Lookup {
    std::optional<Answer> answer;
    bool listening = false;
    uint64_t generation = 0;
  };

  // Listens on `channel`; `decode` says what each announcement makes us forget. Without
  // `redis_url` nothing is remembered.
  RememberedAnswers(const std::optional<std::string>& redis_url, std::string_view channel,
                    std::function<Forgetting(std::string_view payload)> decode) {
    if (!redis_url) return;
    redis::SubscriberOptions options;
    options.url = *redis_url;
    options.channels = {std::string(channel)};
    options.on_message = [this, decode = std::move(decode)](std::string_view,
                                                            std::string_view payload) {
      Forget(decode(payload));
    };
    // Whatever was announced while unsubscribed is unknown.
    options.on_subscribed = [this] { Forget(Forgetting{}); };
    changes_ = std::make_unique<redis::Subscriber>(std::move(options));
  }

  // True while announcements are heard, i.e. while answers are remembered.
  bool listening() const { return changes_ != nullptr && changes_->subscribed(); }

  Lookup Find(const Key& key) {
    Lookup lookup;
    lookup.listening = listening();
    std::lock_guard lock(mutex_);
    lookup.generation = generation_;
    if (!lookup.listening) return lookup;
    if (auto found = answers_.find(key);
        found != answers_.end() && found->second.until > std::chrono::steady_clock::now()) {
      lookup.answer = found->second.answer;
    }
    return lookup;
  }

  // Remembers `answer` until `until`, unless something was forgotten since `lookup`.
  void Remember(const Lookup& lookup, const Key& key, Answer answer, SteadyTime until) {
    std::lock_guard lock(mutex_);
    if (!lookup.listening || lookup.generation != generation_) return;
    if (answers_.size() >= kMaxRemembered) answers_.clear();
    answers_.insert_or_assign(key, Entry{std::move(answer), until});
  }

  void Forget(const Forgetting& forgetting) {
    std::lock_guard lock(mutex_);
    ++generation_;
    switch (forgetting.scope) {
      case Forgetting::Scope::kEverything:
        answers_.clear();
        break;
      case Forgetting::Scope::kFirst:
        answers_.erase(answers_.lower_bound({forgetting.key.first, INT64_MIN}),
                       answers_.upper_bound({forgetting.key.first, INT64_MAX}));
        break;
      case Forgetting::Scope::kKey:
        answers_.erase(forgetting.key);
        break;
    }
  }

 private:
  static constexpr size_t kMaxRemembered = 100'000;
  struct Entry {
    Answer answer;
    SteadyTime until;
  };

  std::mutex mutex_;
  std::map<Key, Entry> answers_;
  uint64_t generation_ = 0;
  std::unique_ptr<redis::Subscriber> changes_;  // last: stopped before the rest goes
};

}  // namespace plaza::messaging
