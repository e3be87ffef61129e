#pragma once
// Does the live object already say everything the desired object says? The API server adds
// defaults and other managers add fields, so "equal" is the wrong test; "every field we set has
// our value" is the right one. It lets the controller skip the server-side apply entirely when
// nothing would change, which keeps a steady-state controller at zero write requests.
#include <boost/json/value.hpp>

namespace kb::base {

// Objects: each key of `desired` must exist in `actual` with a matching value (recursively).
// Arrays: same length, element-wise match (so list order matters, as it does for containers).
// Scalars: equal, with integers and doubles compared by value.
bool is_subset(const boost::json::value& desired, const boost::json::value& actual);

}  // namespace kb::base
