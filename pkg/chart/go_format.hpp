#pragma once
// Go's fmt as templates reach it: print/printf/println, and how an action prints its value.
#include "pkg/chart/value.hpp"

#include <span>
#include <string>
#include <string_view>

namespace kb::chart {

// fmt's %v of one value: floats in Go's shortest form (1e+06), lists as [a b], maps as map[k:v],
// nil as <nil>.
std::string format_value(const Value& v);
// strconv.FormatFloat(f, 'g', -1, 64): the shortest form that reads back as the same float.
std::string format_float_shortest(double f);
// fmt.Sprint: operands separated by a space when neither side is a string.
std::string sprint(std::span<const Value> args);
// fmt.Sprintln: operands always separated by a space, newline appended.
std::string sprintln(std::span<const Value> args);
// fmt.Sprintf with Go's verbs, flags, width and precision; mismatches print as %!d(string=x).
std::string sprintf(std::string_view format, std::span<const Value> args);
// strconv.Quote: a double-quoted Go string literal.
std::string go_quote(std::string_view s);

}  // namespace kb::chart
