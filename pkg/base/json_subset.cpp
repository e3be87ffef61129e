#include "pkg/base/json_subset.hpp"

#include <boost/json.hpp>

namespace kb::base {

namespace {
bool is_number(const boost::json::value& v) { return v.is_int64() || v.is_uint64() || v.is_double(); }
double as_double(const boost::json::value& v) {
  if (v.is_int64()) return static_cast<double>(v.as_int64());
  if (v.is_uint64()) return static_cast<double>(v.as_uint64());
  return v.as_double();
}
}  // namespace

bool is_subset(const boost::json::value& desired, const boost::json::value& actual) {
  if (desired.is_object()) {
    if (!actual.is_object()) return false;
    const auto& a = actual.as_object();
    for (const auto& [key, value] : desired.as_object()) {
      const auto* other = a.if_contains(key);
      if (!other) {
        // An empty object or list we ask for may be omitted by the server (e.g. emptyDir: {}).
        if ((value.is_object() && value.as_object().empty()) || value.is_null()) continue;
        return false;
      }
      if (!is_subset(value, *other)) return false;
    }
    return true;
  }
  if (desired.is_array()) {
    if (!actual.is_array() || actual.as_array().size() != desired.as_array().size()) return false;
    for (std::size_t i = 0; i < desired.as_array().size(); ++i) {
      if (!is_subset(desired.as_array()[i], actual.as_array()[i])) return false;
    }
    return true;
  }
  if (is_number(desired) && is_number(actual)) return as_double(desired) == as_double(actual);
  return desired == actual;
}

}  // namespace kb::base
