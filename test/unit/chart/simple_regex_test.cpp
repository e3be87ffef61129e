// simple_regex_search against std::regex_search: wherever it answers, it must give std::regex's answer.
#include "pkg/chart/simple_regex.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <regex>
#include <string>
#include <vector>

using kb::chart::simple_regex_search;

namespace {

// 0: agrees, 1: std::regex rejects a pattern simple_regex_search accepted, 2: answers differ.
int compare(const std::string& pattern, const std::string& text, bool& answered) {
  auto simple = simple_regex_search(pattern, text);
  answered = simple.has_value();
  if (!simple) return 0;
  try {
    return std::regex_search(text, std::regex(pattern, std::regex::ECMAScript)) == *simple ? 0 : 2;
  } catch (const std::regex_error&) {
    return 1;
  }
}

}  // namespace

TEST_CASE("schema-style patterns are answered without std::regex, and correctly") {
  const std::vector<std::string> patterns = {R"(^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$)",
                                             R"(^[a-z0-9]([-a-z0-9]*[a-z0-9])?$)",
                                             R"(^[a-zA-Z0-9]+$)",
                                             R"(^(Always|IfNotPresent|Never)$)",
                                             R"(^\d{1,3}(\.\d{1,3}){3}$)",
                                             R"(^[^/]+/[^/]+$)",
                                             R"(^x-)",
                                             R"(\s)",
                                             R"(^.{0,63}$)",
                                             R"(^(?:v)?[0-9]+\.[0-9]+$)",
                                             R"(a|b|)",
                                             R"(^$)"};
  const std::vector<std::string> texts = {"",    "30s",   "1.5m30s", "abc",      "a-b",  "-a",
                                          "A_b", "Never", "Always ", "10.0.0.1", "a/b",  "x-y",
                                          "a b", "v1.2",  "1h2",     "\n",       "a\nb", std::string(64, 'a')};
  for (const auto& p : patterns) {
    for (const auto& t : texts) {
      bool answered = false;
      INFO("pattern: " << p << " text: " << t);
      CHECK(compare(p, t, answered) == 0);
      CHECK(answered);
    }
  }
}

TEST_CASE("patterns outside the subset or invalid are left to std::regex") {
  for (const char* p : {"(?=a)", "a*?", "\\b", "\\1", "[]", "[^]", "a{2,1}", "*a", "a**", "(a", "a)", "[z-a]",
                        "[[:alpha:]]", "\\x41", "a{", "}", "]"}) {
    INFO("pattern: " << p);
    CHECK_FALSE(simple_regex_search(p, "a").has_value());
  }
}

TEST_CASE("random patterns agree with std::regex_search") {
  // Patterns from pieces of the supported syntax, some of them invalid on purpose.
  const char* pieces[] = {"a",   "b",     "0",    "-",    ".",    "\\.",     "\\d",   "\\w",    "\\s",    "\\D",
                          "\\-", "[a-c]", "[^a]", "[-a]", "[a-]", "[\\d_]",  "[\\s]", "[0-9.]", "[\\-x]", "(",
                          ")",   "(?:",   "|",    "*",    "+",    "?",       "{2}",   "{1,}",   "{0,2}",  "^",
                          "$",   "\\n",   " ",    "/",    ",",    "[\\.-z]", "\\/"};
  const std::string alphabet = "ab0-. _\nxz/,1";
  std::uint32_t state = 2463534242u;
  auto next = [&] {
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    return state;
  };
  int answered_total = 0, disagreements = 0, accepted_invalid = 0;
  for (int n = 0; n < 20000; ++n) {
    std::string pattern;
    int len = 1 + static_cast<int>(next() % 6);
    for (int k = 0; k < len; ++k) pattern += pieces[next() % (sizeof(pieces) / sizeof(pieces[0]))];
    for (int m = 0; m < 4; ++m) {
      std::string text;
      int tlen = static_cast<int>(next() % 7);
      for (int k = 0; k < tlen; ++k) text += alphabet[next() % alphabet.size()];
      bool answered = false;
      int result = compare(pattern, text, answered);
      if (result != 0) {
        INFO("pattern: " << pattern << " text: '" << text << "'");
        CHECK(result == 0);
        (result == 1 ? accepted_invalid : disagreements)++;
      }
      answered_total += answered;
    }
  }
  CHECK(disagreements == 0);
  CHECK(accepted_invalid == 0);
  CHECK(answered_total > 10000);
}
