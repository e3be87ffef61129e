#pragma once
// JSON for people: two-space indentation, one member per line, keys in their original order
// (what `kubectl get -o json` and `bitcoin-cli` print).
#include <boost/json/value.hpp>

#include <string>

namespace kb::base {
std::string pretty_json(const boost::json::value& value);
}  // namespace kb::base
