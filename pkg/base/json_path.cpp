#include "pkg/base/json_path.hpp"

#include <boost/json/object.hpp>
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

std::optional<std::string> string_at_path(const json::value& root, std::span<const std::string_view> path) {
  const auto* v = json_at_path(root, path);
  if (!v || !v->is_string()) return std::nullopt;
  return std::string(v->get_string());
}

std::optional<std::int64_t> int_at_path(const json::value& root, std::span<const std::string_view> path) {
  const auto* v = json_at_path(root, path);
  if (!v) return std::nullopt;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64() && v->get_uint64() <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
    return static_cast<std::int64_t>(v->get_uint64());
  return std::nullopt;
}

std::optional<bool> bool_at_path(const json::value& root, std::span<const std::string_view> path) {
  const auto* v = json_at_path(root, path);
  if (!v || !v->is_bool()) return std::nullopt;
  return v->get_bool();
}

}  // namespace kb::base
