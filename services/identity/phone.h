#pragma once

// Phone numbers: parsed and validated with libphonenumber's metadata, stored in E.164.

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace plaza::identity {

// "+86 138-0013-8000", "0086 13800138000" → "+8613800138000". The number must be in
// international form (a leading + or 00) and valid for its country. INVALID_ARGUMENT
// (INVALID_PHONE) otherwise.
absl::StatusOr<std::string> NormalizePhone(std::string_view input);

// Lower-case hex SHA-256 of an E.164 number: what clients upload for contact discovery.
std::string PhoneHash(std::string_view e164);

}  // namespace plaza::identity
