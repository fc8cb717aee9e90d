#include "plaza/core/clock.h"

namespace plaza::core {

const SystemClock& SystemClock::Instance() {
  static const SystemClock clock;
  return clock;
}

}  // namespace plaza::core
