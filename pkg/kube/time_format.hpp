#pragma once
// Moved to pkg/base/time_format.hpp (the logger needs it, and pkg/observe sits below pkg/kube).
// This forwarding header only keeps branches written against the old place compiling while
// issue 13 merges; include the base header in new code. Remove once nothing includes this one.
#include "pkg/base/time_format.hpp"

namespace kb::kube {
using base::format_micro_time;
using base::format_time;
using base::parse_time;
}  // namespace kb::kube
