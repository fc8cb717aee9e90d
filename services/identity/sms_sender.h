#pragma once

// Where login codes go. Production deployments plug in an SMS provider behind this interface;
// the development sender writes codes to the log and to identity.dev_sms_outbox so the CLI, tests
// and developers can read them.

#include <string>

#include "absl/status/status.h"
#include "services/identity/identity_store.h"

namespace plaza::identity {

class SmsSender {
 public:
  virtual ~SmsSender() = default;
  // Delivers `code` to `phone` (E.164). UNAVAILABLE if the provider cannot take it now.
  virtual absl::Status SendLoginCode(const std::string& phone, const std::string& code) = 0;
};

// Development only: never enable where real people sign up.
class DevSmsSender final : public SmsSender {
 public:
  explicit DevSmsSender(IdentityStore& store) : store_(store) {}
  absl::Status SendLoginCode(const std::string& phone, const std::string& code) override;

 private:
  IdentityStore& store_;
};

}  // namespace plaza::identity
