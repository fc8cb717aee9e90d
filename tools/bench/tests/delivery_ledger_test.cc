#include "tools/bench/delivery_ledger.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <thread>
#include <vector>

using plaza::bench::DeliveryLedger;
using plaza::bench::LaneAudience;
using plaza::bench::MessageRef;
using plaza::bench::SentMessage;
using Read = DeliveryLedger::Read;
using namespace std::chrono_literals;

namespace {

const DeliveryLedger::Clock::time_point kT0{};

}  // namespace

TEST_CASE("A group message waits for every online member but the sender", "[bench][ledger]") {
  // One sender (device 0) in a group of 4 devices; one run.
  DeliveryLedger ledger(4, {{.first_device = 0, .devices = 4}}, 1);
  MessageRef message = ledger.Begin(0, 1, 0, kT0);
  CHECK(message == MessageRef{.lane = 0, .run = 1, .n = 0});
  CHECK(ledger.Begun(0, 1) == 1);
  CHECK(ledger.Begun(1) == 1);

  CHECK(ledger.Arrive(message, 0, kT0 + 1ms).read == Read::kNotARecipient);  // the sender's own
  CHECK(ledger.Arrive(message, 1, kT0 + 2ms).read == Read::kFirst);
  CHECK_FALSE(ledger.Acknowledge(message, kT0 + 3ms));  // 2 and 3 have not read it
  CHECK(ledger.Waiting(1) == 1);
  CHECK(ledger.Arrive(message, 2, kT0 + 4ms).read == Read::kFirst);
  auto last = ledger.Arrive(message, 3, kT0 + 9ms);
  CHECK(last.read == Read::kFirst);
  CHECK(last.finished);  // exactly the call that completed it says so
  CHECK(ledger.Waiting(1) == 0);
  auto again = ledger.Arrive(message, 3, kT0 + 10ms);
  CHECK(again.read == Read::kDuplicate);
  CHECK_FALSE(again.finished);

  std::vector<SentMessage> messages = ledger.Messages(1, kT0);
  REQUIRE(messages.size() == 1);
  CHECK(messages[0].sent_ms == 0);
  CHECK(messages[0].acked_ms == 3);
  CHECK(messages[0].delivered_ms == 9);  // the last recipient's first read
  CHECK(messages[0].recipients == 3);
  CHECK(messages[0].received == 3);
  CHECK(messages[0].copies == 4);
  CHECK(ledger.Acknowledged() == 1);
}

TEST_CASE("A message read by all before its acknowledgement finishes with the ack",
          "[bench][ledger]") {
  DeliveryLedger ledger(2, {{.first_device = 0, .devices = 2}}, 0);
  MessageRef message = ledger.Begin(0, 0, 1, kT0);
  auto read = ledger.Arrive(message, 0, kT0 + 1ms);
  CHECK(read.read == Read::kFirst);
  CHECK_FALSE(read.finished);  // not acknowledged yet
  CHECK(ledger.Acknowledge(message, kT0 + 2ms));
  CHECK_FALSE(ledger.Acknowledge(message, kT0 + 3ms));  // once only
}

TEST_CASE("Chat lanes: each pair's two devices, turns decided by the caller", "[bench][ledger]") {
  // Two pairs: devices 0, 1 and 2, 3.
  DeliveryLedger ledger(4, {{.first_device = 0, .devices = 2}, {.first_device = 2, .devices = 2}},
                        1);
  MessageRef first = ledger.Begin(1, 1, 2, kT0);                     // device 2 to device 3
  CHECK(ledger.Arrive(first, 0, kT0).read == Read::kNotARecipient);  // another pair's device
  CHECK(ledger.Arrive(first, 2, kT0).read == Read::kNotARecipient);  // the sender
  CHECK(ledger.Acknowledge(first, kT0 + 1ms) == false);
  CHECK(ledger.Arrive(first, 3, kT0 + 2ms).finished);
  MessageRef second = ledger.Begin(1, 1, 3, kT0 + 3ms);  // and back
  CHECK(second.n == 1);
  CHECK(ledger.Begun(1, 1) == 2);
  CHECK(ledger.Begun(0, 1) == 0);
  CHECK(ledger.Arrive(second, 2, kT0 + 4ms).read == Read::kFirst);
}

TEST_CASE("Unknown messages are reported, not trusted", "[bench][ledger]") {
  DeliveryLedger ledger(2, {{.first_device = 0, .devices = 2}}, 1);
  CHECK(ledger.Arrive({.lane = 0, .run = 1, .n = 0}, 1, kT0).read == Read::kUnknownMessage);
  CHECK(ledger.Arrive({.lane = 5, .run = 1, .n = 0}, 1, kT0).read == Read::kUnknownMessage);
  CHECK(ledger.Arrive({.lane = 0, .run = 7, .n = 0}, 1, kT0).read == Read::kUnknownMessage);
  CHECK(ledger.Arrive({.lane = 0, .run = -1, .n = 0}, 1, kT0).read == Read::kUnknownMessage);
  CHECK_FALSE(ledger.Acknowledge({.lane = 0, .run = 1, .n = 3}, kT0));
}

TEST_CASE("A failed send finishes at once and counts as unacknowledged", "[bench][ledger]") {
  DeliveryLedger ledger(3, {{.first_device = 0, .devices = 3}}, 1);
  MessageRef message = ledger.Begin(0, 1, 0, kT0);
  CHECK(ledger.Arrive(message, 1, kT0 + 1ms).read == Read::kFirst);  // stored after all
  CHECK(ledger.Fail(message));
  CHECK_FALSE(ledger.Fail(message));
  CHECK(ledger.Waiting(1) == 0);
  CHECK(ledger.Acknowledged() == 0);
  std::vector<SentMessage> messages = ledger.Messages(1, kT0);
  REQUIRE(messages.size() == 1);
  CHECK_FALSE(messages[0].acked_ms);
  CHECK(messages[0].received == 1);
}

TEST_CASE("Expire gives up only on messages acknowledged before the cutoff", "[bench][ledger]") {
  DeliveryLedger ledger(3, {{.first_device = 0, .devices = 3}}, 1);
  MessageRef message = ledger.Begin(0, 1, 0, kT0);
  CHECK_FALSE(ledger.Expire(message, kT0 + 1s));  // not acknowledged: the call's deadline rules
  ledger.Acknowledge(message, kT0 + 5ms);
  CHECK_FALSE(ledger.Expire(message, kT0 + 5ms));  // acknowledged at, not before, the cutoff
  CHECK(ledger.Expire(message, kT0 + 6ms));
  CHECK_FALSE(ledger.Expire(message, kT0 + 1s));
  CHECK(ledger.Waiting(1) == 0);
  std::vector<SentMessage> messages = ledger.Messages(1, kT0);
  CHECK(messages[0].recipients == 2);
  CHECK(messages[0].received == 0);  // both count as missed
}

TEST_CASE("A device going offline is no longer waited for, nor counted later", "[bench][ledger]") {
  DeliveryLedger ledger(3, {{.first_device = 0, .devices = 3}, {.first_device = 0, .devices = 3}},
                        1);
  MessageRef waiting = ledger.Begin(0, 1, 0, kT0);
  ledger.Acknowledge(waiting, kT0 + 1ms);
  CHECK(ledger.Arrive(waiting, 1, kT0 + 2ms).read == Read::kFirst);
  MessageRef unacked = ledger.Begin(1, 1, 1, kT0);
  std::vector<MessageRef> finished = ledger.Offline(2);
  // Only the acknowledged one can finish; the other now waits for its ack alone.
  REQUIRE(finished.size() == 1);
  CHECK(finished[0] == waiting);
  CHECK(ledger.Acknowledge(unacked, kT0 + 3ms) == false);  // device 0 has not read it yet
  CHECK(ledger.Arrive(unacked, 0, kT0 + 4ms).finished);
  CHECK(ledger.Arrive(waiting, 2, kT0 + 5ms).read == Read::kNotARecipient);

  MessageRef later = ledger.Begin(0, 1, 0, kT0 + 6ms);
  ledger.Acknowledge(later, kT0 + 7ms);
  CHECK(ledger.Arrive(later, 1, kT0 + 8ms).finished);
  // Lane 0's messages first (waiting, later), then lane 1's (unacked).
  std::vector<SentMessage> messages = ledger.Messages(1, kT0);
  REQUIRE(messages.size() == 3);
  CHECK(messages[0].recipients == 2);  // device 2 counts as missed: it was online at the send
  CHECK(messages[0].received == 1);
  CHECK(messages[1].recipients == 1);  // device 2 was offline at this send
  CHECK(messages[2].recipients == 2);
}

TEST_CASE("Reads from many threads finish a message exactly once", "[bench][ledger]") {
  constexpr size_t kDevices = 200;
  DeliveryLedger ledger(kDevices, {{.first_device = 0, .devices = kDevices}}, 1);
  MessageRef message = ledger.Begin(0, 1, 0, kT0);
  ledger.Acknowledge(message, kT0);
  std::atomic<int> finished{0};
  {
    std::vector<std::jthread> threads;
    for (size_t t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        // Every device but the sender, twice.
        for (int copy = 0; copy < 2; ++copy) {
          for (size_t device = 1 + t; device < kDevices; device += 4) {
            if (ledger.Arrive(message, device, kT0 + 1ms).finished) finished.fetch_add(1);
          }
        }
      });
    }
  }
  CHECK(finished.load() == 1);
  std::vector<SentMessage> messages = ledger.Messages(1, kT0);
  CHECK(messages[0].received == static_cast<int64_t>(kDevices - 1));
  CHECK(messages[0].copies == static_cast<int64_t>(2 * (kDevices - 1)));
}
