#include "services/messaging/search_terms.h"

#include <unordered_set>

namespace plaza::messaging {
namespace {

// Decodes one UTF-8 sequence at `text[i]`; advances `i`. Invalid bytes decode to U+FFFD.
char32_t NextCodePoint(std::string_view text, size_t& i) {
  auto byte = [&](size_t at) { return static_cast<unsigned char>(text[at]); };
  unsigned char lead = byte(i);
  size_t length = lead < 0x80           ? 1
                  : (lead >> 5) == 0x6  ? 2
                  : (lead >> 4) == 0xE  ? 3
                  : (lead >> 3) == 0x1E ? 4
                                        : 0;
  if (length == 0 || i + length > text.size()) {
    ++i;
    return 0xFFFD;
  }
  char32_t code = length == 1 ? lead : lead & (0xFF >> (length + 1));
  for (size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) {
      ++i;
      return 0xFFFD;
    }
    code = (code << 6) | (byte(i + k) & 0x3F);
  }
  i += length;
  return code;
}

void AppendUtf8(std::string& out, char32_t code) {
  if (code < 0x80) {
    out += static_cast<char>(code);
  } else if (code < 0x800) {
    out += static_cast<char>(0xC0 | (code >> 6));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else if (code < 0x10000) {
    out += static_cast<char>(0xE0 | (code >> 12));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (code >> 18));
    out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  }
}

bool IsCjk(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
         (c >= 0x20000 && c <= 0x2EBEF) || (c >= 0xF900 && c <= 0xFAFF) ||
         (c >= 0x3040 && c <= 0x30FF) || (c >= 0xAC00 && c <= 0xD7AF);
}

// Full-width ASCII to ASCII, ASCII upper case to lower case.
char32_t Fold(char32_t c) {
  if (c >= 0xFF01 && c <= 0xFF5E) c -= 0xFEE0;
  if (c >= 'A' && c <= 'Z') c += 'a' - 'A';
  return c;
}

// Letters and digits of scripts written with spaces: ASCII alphanumerics and anything from
// Latin-1 letters upwards that is not CJK, punctuation, a symbol block or a replacement.
bool IsWordChar(char32_t c) {
  if (c < 0x80) return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  if (c < 0xC0 || c == 0xD7 || c == 0xF7 || c == 0xFFFD) return false;
  if ((c >= 0x2000 && c <= 0x2BFF) || (c >= 0x3000 && c <= 0x303F) ||
      (c >= 0xFE30 && c <= 0xFE4F) || (c >= 0xFF00 && c <= 0xFFEF) ||
      (c >= 0x1F000 && c <= 0x1FAFF)) {
    return false;
  }
  return !IsCjk(c);
}

class Collector {
 public:
  explicit Collector(bool for_query) : for_query_(for_query) {}

  void Take(std::string_view text) {
    size_t i = 0;
    while (i < text.size() && terms_.size() < kMaxTermsPerText) {
      char32_t c = Fold(NextCodePoint(text, i));
      if (IsCjk(c)) {
        EndWord();
        cjk_run_.push_back(c);
      } else if (IsWordChar(c)) {
        EndCjkRun();
        AppendUtf8(word_, c);
      } else {
        EndWord();
        EndCjkRun();
      }
    }
    EndWord();
    EndCjkRun();
  }

  std::vector<std::string> Terms() && { return std::move(terms_); }

 private:
  void Add(std::string term) {
    if (term.size() > kMaxTermBytes || terms_.size() >= kMaxTermsPerText) return;
    if (seen_.insert(term).second) terms_.push_back(std::move(term));
  }

  void EndWord() {
    if (!word_.empty()) Add(std::move(word_));
    word_.clear();
  }

  void EndCjkRun() {
    if (cjk_run_.empty()) return;
    bool unigrams = !for_query_ || cjk_run_.size() == 1;
    for (size_t k = 0; k < cjk_run_.size(); ++k) {
      if (unigrams) {
        std::string one;
        AppendUtf8(one, cjk_run_[k]);
        Add(std::move(one));
      }
      if (k + 1 < cjk_run_.size()) {
        std::string pair;
        AppendUtf8(pair, cjk_run_[k]);
        AppendUtf8(pair, cjk_run_[k + 1]);
        Add(std::move(pair));
      }
    }
    cjk_run_.clear();
  }

  const bool for_query_;
  std::vector<std::string> terms_;
  std::unordered_set<std::string> seen_;
  std::string word_;
  std::u32string cjk_run_;
};

}  // namespace

std::vector<std::string> IndexTerms(std::string_view text) {
  Collector collector(/*for_query=*/false);
  collector.Take(text);
  return std::move(collector).Terms();
}

std::vector<std::string> QueryTerms(std::string_view query) {
  Collector collector(/*for_query=*/true);
  collector.Take(query);
  return std::move(collector).Terms();
}

std::string ToTsQuery(const std::vector<std::string>& terms) {
  std::string query;
  for (const auto& term : terms) {
    if (!query.empty()) query += " & ";
    query += '\'';
    for (char c : term) {
      if (c == '\'' || c == '\\') query += c;  // tsquery doubles quotes and backslashes
      query += c;
    }
    query += '\'';
  }
  return query;
}

}  // namespace plaza::messaging
