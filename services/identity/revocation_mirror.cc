#include "services/identity/revocation_mirror.h"

#include <spdlog/spdlog.h>

#include "plaza/core/status.h"

namespace plaza::identity {

RevocationMirror::RevocationMirror(IdentityStore& store, rpc::SessionRevocations& revocations,
                                   const core::Clock& clock, std::chrono::seconds lookback,
                                   std::chrono::milliseconds period)
    : store_(store), revocations_(revocations), clock_(clock), lookback_(lookback), period_(period) {}

RevocationMirror::~RevocationMirror() { Stop(); }

absl::Status RevocationMirror::SyncOnce() {
  PLAZA_ASSIGN_OR_RETURN(auto ended, store_.SessionsRevokedSince(clock_.Now() - lookback_));
  return revocations_.Revoke(ended);
}

void RevocationMirror::Start() {
  thread_ = std::thread([this] {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      lock.unlock();
      if (auto status = SyncOnce(); !status.ok()) {
        spdlog::warn("revocation mirror pass failed, will retry: {}", status.ToString());
      }
      lock.lock();
      wake_.wait_for(lock, period_, [this] { return stopping_; });
    }
  });
}

void RevocationMirror::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace plaza::identity
