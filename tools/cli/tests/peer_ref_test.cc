#include "tools/cli/peer_ref.h"

#include <catch2/catch.hpp>

#include "tools/cli/args.h"

using plaza::cli::ParsePeerRef;
using plaza::cli::PeerRef;

TEST_CASE("Numbers are user ids, c:<n> conversations, the rest is searched", "[cli][peer]") {
  auto user = ParsePeerRef("1234", true);
  REQUIRE(user.ok());
  CHECK(user->kind == PeerRef::Kind::kUserId);
  CHECK(user->id == 1234);

  auto conversation = ParsePeerRef("c:77", true);
  REQUIRE(conversation.ok());
  CHECK(conversation->kind == PeerRef::Kind::kConversationId);
  CHECK(conversation->id == 77);

  for (std::string_view query : {"mei_88", "+8613800138000", "Mei-2"}) {
    auto searched = ParsePeerRef(query, true);
    REQUIRE(searched.ok());
    CHECK(searched->kind == PeerRef::Kind::kSearch);
    CHECK(searched->query == query);
  }
  CHECK(plaza::cli::ConversationRef(77) == "c:77");
}

TEST_CASE("Malformed or misplaced references are usage errors", "[cli][peer]") {
  for (auto [text, allow] : {std::pair{"", true}, std::pair{"c:", true}, std::pair{"c:x1", true},
                             std::pair{"c:-1", true}, std::pair{"c:5", false},
                             std::pair{"99999999999999999999", true}}) {
    auto parsed = ParsePeerRef(text, allow);
    INFO(text);
    REQUIRE_FALSE(parsed.ok());
    CHECK(plaza::cli::IsUsageError(parsed.status()));
  }
}
