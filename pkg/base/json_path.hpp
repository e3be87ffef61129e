#pragma once
// Reading nested JSON without a ladder of is_object()/if_contains() checks.
//
//   base::json_at(pod, "status", "podIP")       const value*: nullptr when a step is missing or not an object
//   base::string_at(pod, "metadata", "name")    optional<string>: also nullopt when the leaf has another type
//   base::int_at(deploy, "spec", "replicas")    optional<int64_t> (an unsigned that fits is accepted)
//   base::bool_at(owner, "controller")          optional<bool>
//
// Absent and "of the wrong type" are the same answer on purpose: Kubernetes objects read here come
// from the API server or a chart, and a reader that wants to tell them apart should validate instead.
#include <boost/json/value.hpp>

#include <array>
#include <concepts>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace kb::base {

const boost::json::value* json_at_path(const boost::json::value& root, std::span<const std::string_view> path);
std::optional<std::string> string_at_path(const boost::json::value& root, std::span<const std::string_view> path);
std::optional<std::int64_t> int_at_path(const boost::json::value& root, std::span<const std::string_view> path);
std::optional<bool> bool_at_path(const boost::json::value& root, std::span<const std::string_view> path);

template <std::convertible_to<std::string_view>... Keys>
const boost::json::value* json_at(const boost::json::value& root, const Keys&... keys) {
  const std::array<std::string_view, sizeof...(Keys)> path{std::string_view(keys)...};
  return json_at_path(root, path);
}

template <std::convertible_to<std::string_view>... Keys>
std::optional<std::string> string_at(const boost::json::value& root, const Keys&... keys) {
  const std::array<std::string_view, sizeof...(Keys)> path{std::string_view(keys)...};
  return string_at_path(root, path);
}

template <std::convertible_to<std::string_view>... Keys>
std::optional<std::int64_t> int_at(const boost::json::value& root, const Keys&... keys) {
  const std::array<std::string_view, sizeof...(Keys)> path{std::string_view(keys)...};
  return int_at_path(root, path);
}

template <std::convertible_to<std::string_view>... Keys>
std::optional<bool> bool_at(const boost::json::value& root, const Keys&... keys) {
  const std::array<std::string_view, sizeof...(Keys)> path{std::string_view(keys)...};
  return bool_at_path(root, path);
}

}  // namespace kb::base
