#pragma once
// status.conditions as Kubernetes writes them (metav1.Condition and the older per-kind shapes of
// Pods, Deployments and CRDs): {type, status "True"/"False"/"Unknown", reason, message,
// lastTransitionTime, observedGeneration}.
//
//   find_condition(conditions, "Ready")      in an array value; nullptr when absent
//   condition_of(object, "Established")      the same, in object.status.conditions
//   condition_is_true(object, "Available")   status == "True"
//   set_condition(conditions, {...}, now)    apimachinery's meta.SetStatusCondition
//   same_conditions(a, b)                    equal by type, ignoring order and lastTransitionTime
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <string_view>

namespace kb::kube {

const boost::json::object* find_condition(const boost::json::value& conditions, std::string_view type);
const boost::json::object* condition_of(const boost::json::value& object, std::string_view type);
bool condition_is_true(const boost::json::value& object, std::string_view type);

// Replaces the condition of the same type or appends it. lastTransitionTime is carried over when the
// status did not change (it records transitions, not writes) and set to `now` otherwise. Returns
// true when `conditions` changed.
bool set_condition(boost::json::array& conditions, boost::json::object condition, std::string_view now);

// Whether two condition lists say the same thing: the same types with the same fields, in any
// order, lastTransitionTime aside. Writers compare with this to skip status updates that change nothing.
bool same_conditions(const boost::json::value& a, const boost::json::value& b);

}  // namespace kb::kube
