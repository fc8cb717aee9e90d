#pragma once

// PostgreSQL is the record of ended sessions; Redis is how every service learns of them at once.
// The mirror re-publishes recently ended sessions on a timer, so a revocation survives a failed
// publish or a Redis restart that lost its data. "Recently" covers every access token that
// could still be alive.

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "absl/status/status.h"
#include "plaza/core/clock.h"
#include "plaza/rpc/revocation.h"
#include "services/identity/identity_store.h"

namespace plaza::identity {

class RevocationMirror {
 public:
  RevocationMirror(IdentityStore& store, rpc::SessionRevocations& revocations, const core::Clock& clock,
                   std::chrono::seconds lookback, std::chrono::milliseconds period);
  ~RevocationMirror();

  // One pass: publishes every session ended within the lookback.
  absl::Status SyncOnce();

  // Runs SyncOnce every period on a background thread until Stop().
  void Start();
  void Stop();

 private:
  IdentityStore& store_;
  rpc::SessionRevocations& revocations_;
  const core::Clock& clock_;
  const std::chrono::seconds lookback_;
  const std::chrono::milliseconds period_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace plaza::identity
