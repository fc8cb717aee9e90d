#include "services/messaging/search_terms.h"

#include <catch2/catch.hpp>

using namespace plaza::messaging;
using Terms = std::vector<std::string>;

TEST_CASE("Chinese text is indexed by characters and adjacent pairs", "[search]") {
  CHECK(IndexTerms("你好吗") == Terms{"你", "你好", "好", "好吗", "吗"});
  CHECK(IndexTerms("好") == Terms{"好"});
}

TEST_CASE("a two-character Chinese query finds a message containing it", "[search]") {
  auto indexed = IndexTerms("我们明天见，你好世界！");
  for (const auto& term : QueryTerms("你好")) {
    INFO(term);
    CHECK(std::find(indexed.begin(), indexed.end(), term) != indexed.end());
  }
  CHECK(QueryTerms("你好") == Terms{"你好"});
  CHECK(QueryTerms("你好世界") == Terms{"你好", "好世", "世界"});
  CHECK(QueryTerms("好") == Terms{"好"});  // one character matches its unigram
}

TEST_CASE("Latin text is split into lower-cased words", "[search]") {
  CHECK(IndexTerms("Hello, World! hello again") == Terms{"hello", "world", "again"});
  CHECK(QueryTerms("  WORLD  ") == Terms{"world"});
  CHECK(IndexTerms("Ｈｅｌｌｏ １２３") == Terms{"hello", "123"});  // full-width folds to ASCII
  CHECK(IndexTerms("Café déjà-vu") == Terms{"café", "déjà", "vu"});
}

TEST_CASE("mixed scripts split where the script changes", "[search]") {
  CHECK(IndexTerms("明天meeting在3楼") == Terms{"明", "明天", "天", "meeting", "在", "3", "楼"});
  CHECK(QueryTerms("ok好的") == Terms{"ok", "好的"});
  CHECK(IndexTerms("こんにちは") ==
        Terms{"こ", "こん", "ん", "んに", "に", "にち", "ち", "ちは", "は"});
  CHECK(IndexTerms("안녕") == Terms{"안", "안녕", "녕"});
}

TEST_CASE("punctuation, symbols, emoji and invalid bytes separate terms", "[search]") {
  CHECK(IndexTerms("a.b,c;d 😀 e\xff"
                   "f") == Terms{"a", "b", "c", "d", "e", "f"});
  CHECK(QueryTerms("!!! ... 😀").empty());
  CHECK(QueryTerms("").empty());
}

TEST_CASE("terms are distinct and bounded", "[search]") {
  CHECK(IndexTerms("go go go") == Terms{"go"});
  std::string many;
  for (int i = 0; i < 10000; ++i) many += "w" + std::to_string(i) + " ";
  CHECK(IndexTerms(many).size() == kMaxTermsPerText);
  CHECK(IndexTerms(std::string(kMaxTermBytes + 1, 'x') + " ok") == Terms{"ok"});
}

TEST_CASE("tsquery text quotes every term", "[search]") {
  CHECK(ToTsQuery({"你好", "world"}) == "'你好' & 'world'");
  CHECK(ToTsQuery({"it's", "a\\b"}) == "'it''s' & 'a\\\\b'");
  CHECK(ToTsQuery({}).empty());
}
