#include "plaza/core/status.h"

#include "absl/strings/cord.h"

namespace plaza {
namespace {
// Debian's Abseil keeps its own string_view type, distinct from std::string_view.
absl::string_view ToAbsl(std::string_view text) { return {text.data(), text.size()}; }
constexpr absl::string_view kReasonPayload = "plaza.reason";
}  // namespace

absl::Status Error(absl::StatusCode code, std::string_view reason, std::string_view message) {
  absl::Status status(code, ToAbsl(message));
  status.SetPayload(kReasonPayload, absl::Cord(ToAbsl(reason)));
  return status;
}

std::string ReasonOf(const absl::Status& status) {
  auto payload = status.GetPayload(kReasonPayload);
  return payload ? std::string(*payload) : std::string();
}

}  // namespace plaza
