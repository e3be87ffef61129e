#pragma once
// A matcher for the small ECMAScript regular expressions JSON schemas use ("pattern",
// "patternProperties"): literals, ".", classes such as [a-z0-9_] and \d \w \s, groups, "|",
// "^", "$", and the greedy quantifiers * + ? {n} {n,} {n,m}.
// Compiling a std::regex costs ~300k instructions per bracket expression in libstdc++, more than
// rendering a whole chart; this matcher answers the same question without that cost.
#include <optional>
#include <string_view>

namespace kb::chart {

// std::regex_search(text, std::regex(pattern, std::regex::ECMAScript)), or nullopt when the
// pattern uses anything outside the subset above (or is not a valid pattern): the caller then
// asks std::regex, which gives the answer or the error.
std::optional<bool> simple_regex_search(std::string_view pattern, std::string_view text);

}  // namespace kb::chart
