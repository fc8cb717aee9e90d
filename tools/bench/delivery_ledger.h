#pragma once

// The book plaza-bench chat and group keep of the messages they send and who read them on a push
// stream. Thread-safe and free of I/O (send and stream callbacks call it from gRPC's threads);
// unit-tested in tests/delivery_ledger_test.cc.
//
// Devices are numbered 0..devices-1, one per user and push stream. A lane is one sender's
// sequence of messages in one conversation (chat: a pair of users taking turns; group: one
// member), and its audience is a contiguous range of devices (chat: the pair's two; group: every
// member). A message's recipients are the audience's devices online when it is sent, except the
// sender's own (messaging does not push a message to the device that sent it).
//
// A message is *finished* once the sender need not wait for it any more: it was acknowledged and
// every recipient read it (or went offline before reading it), or its send failed, or the
// scenario gave up waiting (Expire). Each transition reports whether it finished the message, so
// exactly one caller learns that and may start the lane's next send (group); chat, which sends
// on each acknowledgement, uses only the counts.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "tools/bench/stats.h"

namespace plaza::bench {

struct LaneAudience {
  size_t first_device = 0;
  size_t devices = 0;
};

struct MessageRef {
  size_t lane = 0;
  int64_t run = 0;  // 0..runs (0: the warm-up)
  int64_t n = 0;    // the lane's n-th message of the run

  bool operator==(const MessageRef&) const = default;
};

class DeliveryLedger {
 public:
  using Clock = std::chrono::steady_clock;

  // What a read of a pushed message was.
  enum class Read {
    kFirst,           // a recipient's first copy
    kDuplicate,       // a recipient's extra copy
    kNotARecipient,   // a device the message was not meant for (not in the audience, the
                      // sender's own, or offline when it was sent)
    kUnknownMessage,  // no such message (a lane, run or n never sent)
  };
  struct ReadResult {
    Read read = Read::kUnknownMessage;
    bool finished = false;  // this read finished the message
  };

  // `devices` all start online. Each lane's audience must lie within them (aborts otherwise: a
  // programming error). Runs are 0..`runs`.
  DeliveryLedger(size_t devices, const std::vector<LaneAudience>& lanes, int64_t runs);
  ~DeliveryLedger();
  DeliveryLedger(const DeliveryLedger&) = delete;
  DeliveryLedger& operator=(const DeliveryLedger&) = delete;

  size_t lanes() const { return lanes_.size(); }

  // The lane's next message of `run`, sent by `sender` (a device of its audience) at `at`.
  // Returns its reference; call before starting the send, so that no read can precede it.
  MessageRef Begin(size_t lane, int64_t run, size_t sender, Clock::time_point at);

  // The send was acknowledged at `at` as a new message. True if that finished it (every
  // recipient had read it already).
  bool Acknowledge(const MessageRef& message, Clock::time_point at);

  // The send failed (not acknowledged). True if that finished it (always, unless it was
  // finished already).
  bool Fail(const MessageRef& message);

  // `device` read the message at `at`.
  ReadResult Arrive(const MessageRef& message, size_t device, Clock::time_point at);

  // Gives up waiting for the message's missing readers if it was acknowledged before `cutoff`
  // and is not finished; they count as missed. True if this finished it.
  bool Expire(const MessageRef& message, Clock::time_point cutoff);

  // `device`'s stream ended: later messages do not count it as a recipient, and messages that
  // still wait for it stop waiting. Returns the messages this finished.
  std::vector<MessageRef> Offline(size_t device);

  // Messages of `run` acknowledged but not finished: still waiting for a reader.
  int64_t Waiting(int64_t run) const;
  // Messages acknowledged, over all runs.
  int64_t Acknowledged() const;
  // Messages begun in `run`, over all lanes.
  int64_t Begun(int64_t run) const;
  // Messages the lane began in `run`: the n its next Begin returns.
  int64_t Begun(size_t lane, int64_t run) const;

  // Every message of `run` as its sender and recipients saw it, times in milliseconds after
  // `origin`, for SummarizeDeliveries.
  std::vector<SentMessage> Messages(int64_t run, Clock::time_point origin) const;

 private:
  // Per device of the lane's audience, for one message.
  enum class Seat : uint8_t { kNotExpected, kWaiting, kRead, kGone };

  struct Record {
    Clock::time_point sent;
    std::optional<Clock::time_point> acked;
    std::optional<Clock::time_point> last_read;
    bool failed = false;
    bool finished = false;
    int64_t recipients = 0;
    int64_t received = 0;
    int64_t gone = 0;  // recipients that went offline before reading it
    int64_t copies = 0;
    std::vector<Seat> seats;  // by device - first_device
  };

  struct Lane {
    LaneAudience audience;
    mutable std::mutex mutex;
    std::vector<std::vector<Record>> runs;       // by run, then n
    std::set<std::pair<int64_t, int64_t>> open;  // (run, n) of messages not finished
  };

  // The record, or nullptr; the lane's mutex must be held.
  Record* Find(Lane& lane, const MessageRef& message);
  // Finishes `record` if it is complete (acknowledged, nobody left waiting) or `force`; the
  // lane's mutex must be held. True if it finished it now.
  bool MaybeFinish(Lane& lane, const MessageRef& message, Record& record, bool force);
  void CheckRun(int64_t run) const;

  const int64_t runs_;
  std::vector<std::unique_ptr<Lane>> lanes_;
  std::vector<std::atomic<bool>> online_;
  std::vector<std::atomic<int64_t>> acked_;    // by run
  std::vector<std::atomic<int64_t>> settled_;  // by run: acknowledged and finished
  std::vector<std::atomic<int64_t>> begun_;    // by run
};

}  // namespace plaza::bench
