#pragma once
// Reading nested JSON without a ladder of is_object()/if_contains() checks.
//
//   base::json_at(pod, "status", "podIP")       const value*: nullptr when a step is missing or not an object
//   base::string_at(pod, "metadata", "name")    optional<string>: also nullopt when the leaf has another type
//   base::int_at(deploy, "spec", "replicas")    optional<int64_t> (an unsigned that fits is accepted)
//   base::bool_at(owner, "controller")          optional<bool>
//   base::string_at(status_object, "reason")     the same from a json::object already in hand
//   base::string_of(json_at(...))                 the typed read of a pointer you already have
//
// Absent and "of the wrong type" are the same answer on purpose: Kubernetes objects read here come
// from the API server or a chart, and a reader that wants to tell them apart should validate instead.
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <array>
#include <concepts>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace kb::base {

// The path starts at a value, or at an object already in hand (a list item, a Status); an empty
// path from a value is the value itself.
const boost::json::value* json_at_path(const boost::json::value& root, std::span<const std::string_view> path);
const boost::json::value* json_at_path(const boost::json::object& root, std::span<const std::string_view> path);
std::optional<std::string> string_of(const boost::json::value* value);
std::optional<std::int64_t> int_of(const boost::json::value* value);
std::optional<bool> bool_of(const boost::json::value* value);

template <class Root>
concept JsonRoot = std::same_as<Root, boost::json::value> || std::same_as<Root, boost::json::object>;

template <JsonRoot Root, std::convertible_to<std::string_view>... Keys>
const boost::json::value* json_at(const Root& root, const Keys&... keys) {
  const std::array<std::string_view, sizeof...(Keys)> path{std::string_view(keys)...};
  return json_at_path(root, path);
}

template <JsonRoot Root, std::convertible_to<std::string_view>... Keys>
std::optional<std::string> string_at(const Root& root, const Keys&... keys) {
  return string_of(json_at(root, keys...));
}

template <JsonRoot Root, std::convertible_to<std::string_view>... Keys>
std::optional<std::int64_t> int_at(const Root& root, const Keys&... keys) {
  return int_of(json_at(root, keys...));
}

template <JsonRoot Root, std::convertible_to<std::string_view>... Keys>
std::optional<bool> bool_at(const Root& root, const Keys&... keys) {
  return bool_of(json_at(root, keys...));
}

}  // namespace kb::base
