#include "tools/bench/message_ids.h"

#include <spdlog/fmt/fmt.h>

#include <charconv>

namespace plaza::bench {
namespace {

constexpr std::string_view kPrefix = "bench.";

// A non-negative decimal without sign or leading zeros (except "0") up to the next '.' or the
// end; advances `text` past it and the dot.
std::optional<int64_t> TakeNumber(std::string_view& text, bool last) {
  size_t dot = text.find('.');
  if (last != (dot == std::string_view::npos)) return std::nullopt;
  std::string_view digits = text.substr(0, dot);
  if (digits.empty() || (digits.size() > 1 && digits[0] == '0')) return std::nullopt;
  int64_t value = 0;
  auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (error != std::errc() || end != digits.data() + digits.size() || value < 0) {
    return std::nullopt;
  }
  text = last ? std::string_view() : text.substr(dot + 1);
  return value;
}

}  // namespace

std::string FormatMessageId(const MessageKey& key) {
  return fmt::format("{}{}.{}.{}", kPrefix, key.run, key.lane, key.n);
}

std::optional<MessageKey> ParseMessageId(std::string_view id) {
  if (!id.starts_with(kPrefix)) return std::nullopt;
  id.remove_prefix(kPrefix.size());
  auto run = TakeNumber(id, false);
  if (!run) return std::nullopt;
  auto lane = TakeNumber(id, false);
  if (!lane) return std::nullopt;
  auto n = TakeNumber(id, true);
  if (!n) return std::nullopt;
  return MessageKey{.run = *run, .lane = *lane, .n = *n};
}

}  // namespace plaza::bench
