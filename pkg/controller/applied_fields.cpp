#include "pkg/controller/applied_fields.hpp"

#include "pkg/base/json_path.hpp"
#include "pkg/base/json_subset.hpp"
#include "pkg/kube/store.hpp"

#include <boost/json.hpp>

#include <string>

namespace kb::controller {
namespace json = boost::json;

namespace {

// The fieldsV1 tree of `manager`'s Apply entry in managedFields; nullptr when it has none.
const json::value* applied_fields_of(const json::value& live, std::string_view manager) {
  const auto* entries = base::json_at(live, "metadata", "managedFields");
  if (!entries || !entries->is_array()) return nullptr;
  for (const auto& entry : entries->as_array()) {
    if (base::string_at(entry, "manager") == manager && base::string_at(entry, "operation") == "Apply") {
      return base::json_at(entry, "fieldsV1");
    }
  }
  return nullptr;
}

const json::value* child(const json::value* owned, const std::string& key) {
  if (!owned || !owned->is_object()) return nullptr;
  return owned->as_object().if_contains(key);
}

// fieldsV1's key of a list entry merged by name: k:{"name":"X"}.
std::string entry_key(std::string_view name) { return "k:" + json::serialize(json::object{{"name", name}}); }

const json::string* name_of_entry(const json::value& entry) {
  if (!entry.is_object()) return nullptr;
  const auto* name = entry.as_object().if_contains("name");
  return name && name->is_string() ? &name->as_string() : nullptr;
}

bool all_named(const json::array& entries) {
  for (const auto& entry : entries) {
    if (!name_of_entry(entry)) return false;
  }
  return !entries.empty();
}

// The path of the first field where `live` does not hold `desired` ("" when it does).
std::string difference(const json::value& desired, const json::value& live, const json::value* owned,
                       const std::string& path) {
  if (desired.is_object()) {
    if (!live.is_object()) return path;
    for (const auto& [key, value] : desired.as_object()) {
      auto here = path + "." + std::string(key);
      const auto* other = live.as_object().if_contains(key);
      if (!other) {
        if ((value.is_object() && value.as_object().empty()) || value.is_null()) continue;
        return here;
      }
      if (auto d = difference(value, *other, child(owned, "f:" + std::string(key)), here); !d.empty()) return d;
    }
    return "";
  }
  if (desired.is_array() && live.is_array() && all_named(desired.as_array()) && all_named(live.as_array())) {
    const auto& wanted = desired.as_array();
    for (const auto& entry : wanted) {
      const auto& name = *name_of_entry(entry);
      auto here = path + "[" + std::string(name) + "]";
      const json::value* match = nullptr;
      for (const auto& candidate : live.as_array()) {
        if (*name_of_entry(candidate) == name) match = &candidate;
      }
      if (!match) return here;
      if (auto d = difference(entry, *match, child(owned, entry_key(name)), here); !d.empty()) return d;
    }
    for (const auto& entry : live.as_array()) {
      const auto& name = *name_of_entry(entry);
      bool wanted_here = false;
      for (const auto& w : wanted) wanted_here = wanted_here || *name_of_entry(w) == name;
      if (!wanted_here && child(owned, entry_key(name))) return path + "[" + std::string(name) + "]";  // ours, unwanted
    }
    return "";
  }
  if (desired.is_array()) {
    if (!live.is_array() || live.as_array().size() != desired.as_array().size()) return path;
    for (std::size_t i = 0; i < desired.as_array().size(); ++i) {
      auto here = path + "[" + std::to_string(i) + "]";
      if (auto d = difference(desired.as_array()[i], live.as_array()[i], nullptr, here); !d.empty()) return d;
    }
    return "";
  }
  return base::is_subset(desired, live) ? "" : path;  // scalars: integers and doubles by value
}

}  // namespace

std::string applied_difference(const json::value& desired, const json::value& live, std::string_view field_manager) {
  return difference(desired, live, applied_fields_of(live, field_manager), "");
}

bool holds_applied(const json::value& desired, const json::value& live, std::string_view field_manager) {
  return applied_difference(desired, live, field_manager).empty();
}

std::function<void(json::value&)> keep_own_applied_fields(std::string field_manager) {
  return [manager = std::move(field_manager)](json::value& object) {
    json::value own;
    if (const auto* fields = applied_fields_of(object, manager)) {
      own = json::array{{{"manager", manager}, {"operation", "Apply"}, {"fieldsV1", *fields}}};
    }
    kube::drop_managed_fields(object);
    if (!own.is_null()) object.as_object()["metadata"].as_object()["managedFields"] = std::move(own);
  };
}

}  // namespace kb::controller
