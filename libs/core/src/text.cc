#include "plaza/core/text.h"

#include <charconv>

#include "plaza/core/status.h"

namespace plaza::core {
namespace {

std::string UpperSnake(std::string_view field) {
  std::string out;
  for (char c : field) out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

constexpr std::string_view kPageTokenPrefix = "p1.";

}  // namespace

std::optional<size_t> Utf8Length(std::string_view text) {
  size_t count = 0;
  for (size_t i = 0; i < text.size(); ++count) {
    auto byte = static_cast<unsigned char>(text[i]);
    size_t length;
    uint32_t code_point;
    if (byte < 0x80) {
      ++i;
      continue;
    } else if ((byte & 0xE0) == 0xC0) {
      length = 2;
      code_point = byte & 0x1F;
    } else if ((byte & 0xF0) == 0xE0) {
      length = 3;
      code_point = byte & 0x0F;
    } else if ((byte & 0xF8) == 0xF0) {
      length = 4;
      code_point = byte & 0x07;
    } else {
      return std::nullopt;
    }
    if (i + length > text.size()) return std::nullopt;
    for (size_t k = 1; k < length; ++k) {
      auto continuation = static_cast<unsigned char>(text[i + k]);
      if ((continuation & 0xC0) != 0x80) return std::nullopt;
      code_point = (code_point << 6) | (continuation & 0x3F);
    }
    static constexpr uint32_t kMinForLength[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code_point < kMinForLength[length] || code_point > 0x10FFFF ||
        (code_point >= 0xD800 && code_point <= 0xDFFF)) {
      return std::nullopt;
    }
    i += length;
  }
  return count;
}

absl::Status ValidateText(std::string_view field, std::string_view value, size_t min_chars,
                          size_t max_chars, bool multiline) {
  std::string reason = UpperSnake(field) + "_INVALID";
  auto length = Utf8Length(value);
  if (!length) return InvalidArgument(reason, std::string(field) + " is not valid UTF-8");
  for (char c : value) {
    auto byte = static_cast<unsigned char>(c);
    bool allowed_control = multiline && (c == '\n' || c == '\t');
    if ((byte < 0x20 && !allowed_control) || byte == 0x7F) {
      return InvalidArgument(reason, std::string(field) + " contains control characters");
    }
  }
  if (*length < min_chars || *length > max_chars) {
    return InvalidArgument(reason, std::string(field) + " must be " + std::to_string(min_chars) +
                                       " to " + std::to_string(max_chars) + " characters");
  }
  return absl::OkStatus();
}

std::string EncodePageToken(int64_t last_key) {
  return std::string(kPageTokenPrefix) + std::to_string(last_key);
}

absl::Status DecodePageToken(std::string_view token, int64_t& last_key) {
  if (!token.starts_with(kPageTokenPrefix)) {
    return InvalidArgument("PAGE_TOKEN_INVALID", "page_token was not issued by this API");
  }
  token.remove_prefix(kPageTokenPrefix.size());
  auto [end, error] = std::from_chars(token.data(), token.data() + token.size(), last_key);
  if (error != std::errc() || end != token.data() + token.size()) {
    return InvalidArgument("PAGE_TOKEN_INVALID", "page_token was not issued by this API");
  }
  return absl::OkStatus();
}

absl::Status ResolvePageSize(int32_t requested, int32_t fallback, int32_t max, int32_t& size) {
  if (requested < 0) return InvalidArgument("PAGE_SIZE_INVALID", "page_size must not be negative");
  size = requested == 0 ? fallback : std::min(requested, max);
  return absl::OkStatus();
}

std::vector<std::string_view> SplitAny(std::string_view text, std::string_view delimiters) {
  std::vector<std::string_view> pieces;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find_first_of(delimiters, start);
    if (end == std::string_view::npos) end = text.size();
    if (end > start) pieces.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return pieces;
}

}  // namespace plaza::core
