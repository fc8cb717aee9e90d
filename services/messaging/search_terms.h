#pragma once

// Terms for full-text search over messages, in a form PostgreSQL's tsvector/tsquery index
// (GIN) can hold without a language parser, for Chinese, Japanese and Korean text with no
// spaces as well as for Latin text:
//
// * CJK runs are cut into every single character and every pair of adjacent characters
//   (unigrams and bigrams), so a one-character query finds any message with that character and
//   a longer query finds messages holding all of its pairs ("你好吗" → 你好 & 好吗).
// * Everything else is split into words on spaces and punctuation; ASCII letters are folded
//   to lower case, and full-width ASCII (Ａ, １) to its ASCII form.
//
// Bigram matching finds every message that contains the query and may find a few that only
// contain its pairs apart; the caller ranks by the stored text when that matters.

#include <string>
#include <string_view>
#include <vector>

namespace plaza::messaging {

// At most this many distinct terms are taken from one text (a 16 KiB message of CJK text has
// about twice as many characters plus pairs; the rest are dropped from the index).
inline constexpr size_t kMaxTermsPerText = 4096;
// Longer words (pasted hashes, long URLs) are left out of the index and of queries: a tsvector
// lexeme holds at most 2 KiB, and nobody searches for them.
inline constexpr size_t kMaxTermBytes = 100;

// The distinct terms of `text` (valid UTF-8; invalid bytes separate terms), in first-seen order,
// for the index.
std::vector<std::string> IndexTerms(std::string_view text);

// The terms a query must all match: bigrams for CJK runs of two or more characters, the
// character itself for a run of one, and words otherwise. Empty if the query has nothing
// searchable.
std::vector<std::string> QueryTerms(std::string_view query);

// `terms` as tsquery text that PostgreSQL parses back exactly: each term quoted, joined by &.
std::string ToTsQuery(const std::vector<std::string>& terms);

}  // namespace plaza::messaging
