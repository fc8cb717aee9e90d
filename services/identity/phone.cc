#include "services/identity/phone.h"

#include <phonenumbers/phonenumberutil.h>

#include "plaza/auth/secret.h"
#include "plaza/core/status.h"

namespace plaza::identity {

absl::StatusOr<std::string> NormalizePhone(std::string_view input) {
  constexpr size_t kMaxInput = 32;
  auto invalid = InvalidArgument("INVALID_PHONE",
                                 "phone must be a valid number in international form, e.g. +8613800138000");
  if (input.empty() || input.size() > kMaxInput) return invalid;
  std::string text(input);
  if (text.starts_with("00")) text = "+" + text.substr(2);
  if (!text.starts_with("+")) return invalid;
  const auto& util = *i18n::phonenumbers::PhoneNumberUtil::GetInstance();
  i18n::phonenumbers::PhoneNumber number;
  if (util.Parse(text, "ZZ", &number) != i18n::phonenumbers::PhoneNumberUtil::NO_PARSING_ERROR ||
      !util.IsValidNumber(number)) {
    return invalid;
  }
  std::string e164;
  util.Format(number, i18n::phonenumbers::PhoneNumberUtil::E164, &e164);
  return e164;
}

std::string PhoneHash(std::string_view e164) { return auth::Sha256Hex(e164); }

}  // namespace plaza::identity
