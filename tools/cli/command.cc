#include "tools/cli/command.h"

#include <iostream>
#include <iterator>

#include "plaza/core/clock.h"

namespace plaza::cli {

void CommandContext::Emit(const std::string& json, const std::function<std::string()>& human) {
  out_ << (invocation_.json ? json + "\n" : human()) << std::flush;
}

absl::StatusOr<std::string> ValueOrStdin(const std::string& value) {
  if (value != "-") return value;
  std::string text(std::istreambuf_iterator<char>(std::cin), {});
  if (std::cin.bad()) return absl::UnavailableError("cannot read stdin");
  if (text.ends_with('\n')) text.pop_back();
  return text;
}

int64_t NowUnixSeconds() { return core::UnixSeconds(std::chrono::system_clock::now()); }

}  // namespace plaza::cli
