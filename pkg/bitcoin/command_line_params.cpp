#include "pkg/bitcoin/command_line_params.hpp"

#include <boost/json/parse.hpp>

namespace kb::bitcoin {

InvalidParamError::InvalidParamError(std::size_t position, std::string text, const std::string& reason)
    : std::invalid_argument("param " + std::to_string(position) + " is not valid JSON: " + text + " (" + reason + ")"),
      position_(position),
      text_(std::move(text)) {}

boost::json::array parse_command_line_params(const std::vector<std::string>& words) {
  boost::json::array params;
  for (std::size_t i = 0; i < words.size(); ++i) {
    const std::string& word = words[i];
    boost::system::error_code ec;
    boost::json::value value = boost::json::parse(word, ec);
    if (!ec) {
      params.push_back(std::move(value));
      continue;
    }
    auto first = word.find_first_not_of(" \t\n");
    bool looks_like_json =
        first != std::string::npos && (word[first] == '{' || word[first] == '[' || word[first] == '"');
    if (looks_like_json) throw InvalidParamError(i + 1, word, ec.message());
    params.emplace_back(word);
  }
  return params;
}

}  // namespace kb::bitcoin
