#pragma once
// JSON parsing that refuses an object with a repeated key, at any depth. Boost.JSON keeps the last
// of two equal keys and bitcoind's UniValue the first, so a body such as
// {"method":"getblockcount","method":"stop"} would be checked as one call and run as another.
// Keys are compared after unescaping, so "\u006dethod" repeats "method".
#include <boost/json/value.hpp>
#include <stdexcept>
#include <string>
#include <string_view>

namespace kb::bitcoin {

class DuplicateKeyError : public std::invalid_argument {
 public:
  DuplicateKeyError(std::string key, std::string where);
  const std::string& key() const { return key_; }
  // Where the object with the repeated key sits: "$", "$.params", "$[1]", "$[1].params".
  const std::string& where() const { return where_; }

 private:
  std::string key_;
  std::string where_;
};

// Throws DuplicateKeyError, or std::invalid_argument when the text is not JSON.
boost::json::value parse_json_without_duplicate_keys(std::string_view text);

}  // namespace kb::bitcoin
