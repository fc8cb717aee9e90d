#pragma once

// Validation of client-supplied text, shared by every service face.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace plaza::core {

// Number of code points in `text`, or nullopt if it is not valid UTF-8 (overlong forms,
// surrogates and code points above U+10FFFF are invalid).
std::optional<size_t> Utf8Length(std::string_view text);

// The non-empty pieces of `text` between any of the `delimiters` characters, e.g. for config
// lists like "a=1; b=2". Views into `text`.
std::vector<std::string_view> SplitAny(std::string_view text, std::string_view delimiters);

// OK if `value` is valid UTF-8 with between `min_chars` and `max_chars` code points and no
// control characters (tab and newline allowed only if `multiline`). Otherwise INVALID_ARGUMENT
// with reason `<FIELD>_INVALID` (field upper-cased) and a message naming the field and limits.
absl::Status ValidateText(std::string_view field, std::string_view value, size_t min_chars,
                          size_t max_chars, bool multiline = false);

// Opaque page tokens carrying the last key of the previous page.
std::string EncodePageToken(int64_t last_key);
// The key in `token`; INVALID_ARGUMENT (PAGE_TOKEN_INVALID) if it was not made by EncodePageToken.
absl::Status DecodePageToken(std::string_view token, int64_t& last_key);

// List calls fetch page_size + 1 rows: the extra one only says another page exists. Drops it
// and returns the token for the next page ("" on the last page), keyed by `key_of(last row)`.
template <typename Row, typename KeyOf>
std::string TakePage(std::vector<Row>& rows, int32_t page_size, KeyOf key_of) {
  if (rows.size() <= static_cast<size_t>(page_size)) return "";
  rows.resize(static_cast<size_t>(page_size));
  return EncodePageToken(key_of(rows.back()));
}

// `requested` clamped to [1, max]; 0 means `fallback`. INVALID_ARGUMENT (PAGE_SIZE_INVALID) if
// negative.
absl::Status ResolvePageSize(int32_t requested, int32_t fallback, int32_t max, int32_t& size);

}  // namespace plaza::core
