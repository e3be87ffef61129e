#pragma once
// Params of `kubectl bitcoin rpc NETWORK METHOD [PARAMS...]`, one command-line word each, read
// the way users type them to bitcoin-cli without its per-method table:
//   - a word that is JSON is that value: 10, -1.5, true, null, {"a":1}, [1,2], "quoted text";
//   - a word that starts like a JSON object, array or string ({ [ ") must be valid JSON;
//   - anything else is a plain string (block hashes, addresses, "add", "remove").
#include <boost/json/array.hpp>
#include <stdexcept>
#include <string>
#include <vector>

namespace kb::bitcoin {

class InvalidParamError : public std::invalid_argument {
 public:
  InvalidParamError(std::size_t position, std::string text, const std::string& reason);
  std::size_t position() const { return position_; }  // 1-based, as the user counts
  const std::string& text() const { return text_; }

 private:
  std::size_t position_;
  std::string text_;
};

// Throws InvalidParamError naming the param and showing it.
boost::json::array parse_command_line_params(const std::vector<std::string>& words);

}  // namespace kb::bitcoin
