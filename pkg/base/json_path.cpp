#include "pkg/base/json_path.hpp"

#include <boost/json/string.hpp>

#include <limits>

namespace kb::base {
namespace json = boost::json;

const json::value* json_at_path(const json::value& root, std::span<const std::string_view> path) {
  const json::value* current = &root;
  for (auto key : path) {
    const auto* object = current->if_object();
    if (!object) return nullptr;
    current = object->if_contains(key);
    if (!current) return nullptr;
  }
  return current;
}

const json::value* json_at_path(const json::object& root, std::span<const std::string_view> path) {
  if (path.empty()) return nullptr;  // the root is no value to point at
  const json::value* first = root.if_contains(path.front());
  return first ? json_at_path(*first, path.subspan(1)) : nullptr;
}

std::optional<std::string> string_of(const json::value* value) {
  if (!value || !value->is_string()) return std::nullopt;
  return std::string(value->get_string());
}

std::optional<std::int64_t> int_of(const json::value* value) {
  if (!value) return std::nullopt;
  if (value->is_int64()) return value->get_int64();
  if (value->is_uint64() && value->get_uint64() <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
    return static_cast<std::int64_t>(value->get_uint64());
  return std::nullopt;
}

std::optional<bool> bool_of(const json::value* value) {
  if (!value || !value->is_bool()) return std::nullopt;
  return value->get_bool();
}

}  // namespace kb::base
