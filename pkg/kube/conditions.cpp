#include "pkg/kube/conditions.hpp"

#include "pkg/base/json_path.hpp"

namespace kb::kube {
namespace json = boost::json;

namespace {
constexpr std::string_view kTransitionTime = "lastTransitionTime";

std::string_view status_of(const json::object& condition) {
  const auto* status = condition.if_contains("status");
  return status && status->is_string() ? std::string_view(status->get_string()) : std::string_view();
}

json::object without_transition_time(json::object condition) {
  condition.erase(kTransitionTime);
  return condition;
}
}  // namespace

const json::object* find_condition(const json::value& conditions, std::string_view type) {
  const auto* list = conditions.if_array();
  if (!list) return nullptr;
  for (const auto& c : *list) {
    if (base::string_at(c, "type") == type) return c.if_object();
  }
  return nullptr;
}

const json::object* condition_of(const json::value& object, std::string_view type) {
  const auto* conditions = base::json_at(object, "status", "conditions");
  return conditions ? find_condition(*conditions, type) : nullptr;
}

bool condition_is_true(const json::value& object, std::string_view type) {
  const auto* condition = condition_of(object, type);
  if (!condition) return false;
  const auto* status = condition->if_contains("status");
  return status && status->is_string() && status->get_string() == "True";
}

bool set_condition(json::array& conditions, json::object condition, std::string_view now) {
  const auto* type = condition.if_contains("type");
  if (!type || !type->is_string()) return false;
  for (auto& existing : conditions) {
    auto* old = existing.if_object();
    if (!old || base::string_at(existing, "type") != std::string_view(type->get_string())) continue;
    if (status_of(*old) == status_of(condition)) {
      if (const auto* stamp = old->if_contains(kTransitionTime)) condition[kTransitionTime] = *stamp;
    }
    if (!condition.contains(kTransitionTime)) condition[kTransitionTime] = now;
    if (*old == condition) return false;
    *old = std::move(condition);
    return true;
  }
  if (!condition.contains(kTransitionTime)) condition[kTransitionTime] = now;
  conditions.push_back(std::move(condition));
  return true;
}

bool same_conditions(const json::value& a, const json::value& b) {
  const auto* left = a.if_array();
  const auto* right = b.if_array();
  const std::size_t left_size = left ? left->size() : 0;
  const std::size_t right_size = right ? right->size() : 0;
  if (left_size != right_size) return false;
  if (left_size == 0) return true;
  for (const auto& c : *left) {
    const auto* mine = c.if_object();
    const auto type = base::string_at(c, "type");
    if (!mine || !type) return false;
    const auto* theirs = find_condition(b, *type);
    if (!theirs || without_transition_time(*mine) != without_transition_time(*theirs)) return false;
  }
  return true;
}

}  // namespace kb::kube
