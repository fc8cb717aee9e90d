#include "services/identity/sms_sender.h"

#include <spdlog/spdlog.h>

namespace plaza::identity {

absl::Status DevSmsSender::SendLoginCode(const std::string& phone, const std::string& code) {
  spdlog::warn("dev SMS to {}: your Plaza code is {}", phone, code);
  return store_.RecordDevSms(phone, code);
}

}  // namespace plaza::identity
