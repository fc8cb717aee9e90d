#include "tools/cli/seen_messages.h"

#include <catch2/catch.hpp>

using plaza::cli::SeenMessages;
using plaza::messaging::v1::Message;

namespace {

Message At(int64_t seq, int32_t edit_count = 0, bool recalled = false) {
  Message message;
  message.set_seq(seq);
  message.set_edit_count(edit_count);
  if (recalled) message.set_state(plaza::messaging::v1::MESSAGE_STATE_RECALLED);
  return message;
}

}  // namespace

TEST_CASE("Each message is shown once, again only when edited or recalled", "[cli][seen]") {
  SeenMessages seen(5);
  CHECK(seen.Admit(At(5)));
  CHECK(seen.Admit(At(6)));
  CHECK_FALSE(seen.Admit(At(6)));  // the live event of a message history already showed
  CHECK(seen.Admit(At(6, 1)));     // edited
  CHECK_FALSE(seen.Admit(At(6, 1)));
  CHECK(seen.Admit(At(6, 1, true)));  // recalled
}

TEST_CASE("A gap filled late is shown; history before the view is not", "[cli][seen]") {
  SeenMessages seen(10);
  CHECK(seen.Admit(At(10)));
  CHECK(seen.Admit(At(12)));
  CHECK(seen.Admit(At(11)));  // missed live, arrived by Sync
  CHECK_FALSE(seen.Admit(At(9)));
  CHECK_FALSE(seen.Admit(At(1)));
}
