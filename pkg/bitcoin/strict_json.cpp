#include "pkg/bitcoin/strict_json.hpp"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/parse.hpp>
#include <optional>
#include <set>
#include <vector>

namespace kb::bitcoin {
namespace json = boost::json;

DuplicateKeyError::DuplicateKeyError(std::string key, std::string where)
    : std::invalid_argument("the key \"" + key + "\" appears twice in the object at " + where +
                            "; a JSON-RPC request must not repeat keys (the gateway and the node would read "
                            "different values)"),
      key_(std::move(key)),
      where_(std::move(where)) {}

namespace {
// A SAX handler for json::basic_parser that only tracks the keys of the open objects.
class DuplicateKeyFinder {
 public:
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);

  bool on_document_begin(json::error_code&) { return true; }
  bool on_document_end(json::error_code&) { return true; }
  bool on_array_begin(json::error_code&) {
    value_started();
    stack_.push_back(Frame{false, {}, 0, {}});
    return true;
  }
  bool on_array_end(std::size_t, json::error_code&) {
    stack_.pop_back();
    return true;
  }
  bool on_object_begin(json::error_code&) {
    value_started();
    stack_.push_back(Frame{true, {}, 0, {}});
    return true;
  }
  bool on_object_end(std::size_t, json::error_code&) {
    stack_.pop_back();
    return true;
  }
  bool on_string_part(json::string_view, std::size_t, json::error_code&) { return true; }
  bool on_string(json::string_view, std::size_t, json::error_code&) { return value_started(); }
  bool on_key_part(json::string_view part, std::size_t, json::error_code&) {
    key_.append(part.data(), part.size());
    return true;
  }
  bool on_key(json::string_view part, std::size_t, json::error_code& ec) {
    key_.append(part.data(), part.size());
    Frame& frame = stack_.back();
    if (!frame.keys.insert(key_).second) {
      duplicate_ = key_;
      where_ = path();
      ec = json::error::syntax;  // stops the parser; duplicate() tells why
      return false;
    }
    frame.key = std::move(key_);
    key_.clear();
    return true;
  }
  bool on_number_part(json::string_view, json::error_code&) { return true; }
  bool on_int64(std::int64_t, json::string_view, json::error_code&) { return value_started(); }
  bool on_uint64(std::uint64_t, json::string_view, json::error_code&) { return value_started(); }
  bool on_double(double, json::string_view, json::error_code&) { return value_started(); }
  bool on_bool(bool, json::error_code&) { return value_started(); }
  bool on_null(json::error_code&) { return value_started(); }
  bool on_comment_part(json::string_view, json::error_code&) { return true; }
  bool on_comment(json::string_view, json::error_code&) { return true; }

  const std::optional<std::string>& duplicate() const { return duplicate_; }
  const std::string& where() const { return where_; }

 private:
  struct Frame {
    bool object;
    std::set<std::string> keys;
    std::size_t elements;  // arrays: how many values have started
    std::string key;       // objects: the key of the value being read
  };

  bool value_started() {
    if (!stack_.empty() && !stack_.back().object) ++stack_.back().elements;
    return true;
  }

  // The position of the innermost object, written as JSONPath.
  std::string path() const {
    std::string text = "$";
    for (std::size_t i = 0; i + 1 < stack_.size(); ++i) {
      const Frame& frame = stack_[i];
      text += frame.object ? "." + frame.key : "[" + std::to_string(frame.elements - 1) + "]";
    }
    return text;
  }

  std::vector<Frame> stack_;
  std::string key_;
  std::optional<std::string> duplicate_;
  std::string where_;
};
}  // namespace

json::value parse_json_without_duplicate_keys(std::string_view text) {
  json::basic_parser<DuplicateKeyFinder> parser(json::parse_options{});
  json::error_code ec;
  parser.write_some(false, text.data(), text.size(), ec);
  if (const auto& key = parser.handler().duplicate()) throw DuplicateKeyError(*key, parser.handler().where());
  if (ec) throw std::invalid_argument("the body is not JSON (" + ec.message() + ")");
  json::value value = json::parse(text, ec);
  if (ec) throw std::invalid_argument("the body is not JSON (" + ec.message() + ")");
  return value;
}

}  // namespace kb::bitcoin
