#include "tools/bench/delivery_ledger.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace plaza::bench {

DeliveryLedger::DeliveryLedger(size_t devices, const std::vector<LaneAudience>& lanes, int64_t runs)
    : runs_(runs),
      online_(devices),
      acked_(static_cast<size_t>(runs + 1)),
      settled_(static_cast<size_t>(runs + 1)),
      begun_(static_cast<size_t>(runs + 1)) {
  if (runs < 0) {
    std::fprintf(stderr, "plaza::bench::DeliveryLedger: %lld runs\n", static_cast<long long>(runs));
    std::abort();
  }
  for (auto& online : online_) online.store(true);
  for (const LaneAudience& audience : lanes) {
    if (audience.first_device + audience.devices > devices) {
      std::fprintf(stderr, "plaza::bench::DeliveryLedger: audience %zu+%zu beyond %zu devices\n",
                   audience.first_device, audience.devices, devices);
      std::abort();
    }
    auto lane = std::make_unique<Lane>();
    lane->audience = audience;
    lane->runs.resize(static_cast<size_t>(runs + 1));
    lanes_.push_back(std::move(lane));
  }
}

DeliveryLedger::~DeliveryLedger() = default;

void DeliveryLedger::CheckRun(int64_t run) const {
  if (run < 0 || run > runs_) {
    std::fprintf(stderr, "plaza::bench::DeliveryLedger: run %lld outside 0..%lld\n",
                 static_cast<long long>(run), static_cast<long long>(runs_));
    std::abort();
  }
}

DeliveryLedger::Record* DeliveryLedger::Find(Lane& lane, const MessageRef& message) {
  if (message.run < 0 || message.run > runs_ || message.n < 0) return nullptr;
  auto& records = lane.runs[static_cast<size_t>(message.run)];
  if (message.n >= static_cast<int64_t>(records.size())) return nullptr;
  return &records[static_cast<size_t>(message.n)];
}

bool DeliveryLedger::MaybeFinish(Lane& lane, const MessageRef& message, Record& record,
                                 bool force) {
  if (record.finished) return false;
  const bool complete = record.acked && record.received + record.gone >= record.recipients;
  if (!complete && !force) return false;
  record.finished = true;
  lane.open.erase({message.run, message.n});
  if (record.acked) settled_[static_cast<size_t>(message.run)].fetch_add(1);
  return true;
}

MessageRef DeliveryLedger::Begin(size_t lane_index, int64_t run, size_t sender,
                                 Clock::time_point at) {
  CheckRun(run);
  Lane& lane = *lanes_.at(lane_index);
  Record record{.sent = at};
  record.seats.assign(lane.audience.devices, Seat::kNotExpected);
  // Online is read under the lane's lock, which Offline takes after clearing the flag: a device
  // going offline now is either not counted here or finds this message open.
  std::lock_guard lock(lane.mutex);
  for (size_t i = 0; i < lane.audience.devices; ++i) {
    const size_t device = lane.audience.first_device + i;
    if (device != sender && online_[device].load()) {
      record.seats[i] = Seat::kWaiting;
      ++record.recipients;
    }
  }
  auto& records = lane.runs[static_cast<size_t>(run)];
  MessageRef message{.lane = lane_index, .run = run, .n = static_cast<int64_t>(records.size())};
  records.push_back(std::move(record));
  lane.open.insert({run, message.n});
  begun_[static_cast<size_t>(run)].fetch_add(1);
  return message;
}

bool DeliveryLedger::Acknowledge(const MessageRef& message, Clock::time_point at) {
  Lane& lane = *lanes_.at(message.lane);
  std::lock_guard lock(lane.mutex);
  Record* record = Find(lane, message);
  if (record == nullptr || record->acked || record->failed) return false;
  record->acked = at;
  acked_[static_cast<size_t>(message.run)].fetch_add(1);
  return MaybeFinish(lane, message, *record, false);
}

bool DeliveryLedger::Fail(const MessageRef& message) {
  Lane& lane = *lanes_.at(message.lane);
  std::lock_guard lock(lane.mutex);
  Record* record = Find(lane, message);
  if (record == nullptr || record->acked) return false;
  record->failed = true;
  return MaybeFinish(lane, message, *record, true);
}

DeliveryLedger::ReadResult DeliveryLedger::Arrive(const MessageRef& message, size_t device,
                                                  Clock::time_point at) {
  if (message.lane >= lanes_.size()) return {};
  Lane& lane = *lanes_[message.lane];
  std::lock_guard lock(lane.mutex);
  Record* record = Find(lane, message);
  if (record == nullptr) return {};
  const LaneAudience& audience = lane.audience;
  if (device < audience.first_device || device >= audience.first_device + audience.devices) {
    return {.read = Read::kNotARecipient};
  }
  Seat& seat = record->seats[device - audience.first_device];
  switch (seat) {
    case Seat::kRead:
      ++record->copies;
      return {.read = Read::kDuplicate};
    case Seat::kWaiting:
      seat = Seat::kRead;
      ++record->received;
      ++record->copies;
      record->last_read = record->last_read ? std::max(*record->last_read, at) : at;
      return {.read = Read::kFirst, .finished = MaybeFinish(lane, message, *record, false)};
    case Seat::kNotExpected:
    case Seat::kGone:
      break;
  }
  return {.read = Read::kNotARecipient};
}

bool DeliveryLedger::Expire(const MessageRef& message, Clock::time_point cutoff) {
  Lane& lane = *lanes_.at(message.lane);
  std::lock_guard lock(lane.mutex);
  Record* record = Find(lane, message);
  if (record == nullptr || !record->acked || *record->acked >= cutoff) return false;
  return MaybeFinish(lane, message, *record, true);
}

std::vector<MessageRef> DeliveryLedger::Offline(size_t device) {
  std::vector<MessageRef> finished;
  if (device >= online_.size()) return finished;
  online_[device].store(false);
  for (size_t l = 0; l < lanes_.size(); ++l) {
    Lane& lane = *lanes_[l];
    const LaneAudience& audience = lane.audience;
    if (device < audience.first_device || device >= audience.first_device + audience.devices) {
      continue;
    }
    std::lock_guard lock(lane.mutex);
    const std::vector<std::pair<int64_t, int64_t>> open(lane.open.begin(), lane.open.end());
    for (const auto& [run, n] : open) {
      MessageRef message{.lane = l, .run = run, .n = n};
      Record& record = *Find(lane, message);
      Seat& seat = record.seats[device - audience.first_device];
      if (seat != Seat::kWaiting) continue;
      seat = Seat::kGone;
      ++record.gone;
      if (MaybeFinish(lane, message, record, false)) finished.push_back(message);
    }
  }
  return finished;
}

int64_t DeliveryLedger::Waiting(int64_t run) const {
  CheckRun(run);
  const auto r = static_cast<size_t>(run);
  return acked_[r].load() - settled_[r].load();
}

int64_t DeliveryLedger::Acknowledged() const {
  int64_t total = 0;
  for (const auto& acked : acked_) total += acked.load();
  return total;
}

int64_t DeliveryLedger::Begun(int64_t run) const {
  CheckRun(run);
  return begun_[static_cast<size_t>(run)].load();
}

int64_t DeliveryLedger::Begun(size_t lane_index, int64_t run) const {
  CheckRun(run);
  const Lane& lane = *lanes_.at(lane_index);
  std::lock_guard lock(lane.mutex);
  return static_cast<int64_t>(lane.runs[static_cast<size_t>(run)].size());
}

std::vector<SentMessage> DeliveryLedger::Messages(int64_t run, Clock::time_point origin) const {
  CheckRun(run);
  std::vector<SentMessage> messages;
  for (const auto& lane : lanes_) {
    std::lock_guard lock(lane->mutex);
    for (const Record& record : lane->runs[static_cast<size_t>(run)]) {
      SentMessage message{.sent_ms = Millis(record.sent - origin),
                          .recipients = record.recipients,
                          .received = record.received,
                          .copies = record.copies};
      if (record.acked) message.acked_ms = Millis(*record.acked - origin);
      if (record.last_read) message.delivered_ms = Millis(*record.last_read - origin);
      messages.push_back(message);
    }
  }
  return messages;
}

}  // namespace plaza::bench
