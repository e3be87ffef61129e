#pragma once
// The `kubectl bitcoin` command tree: parses argv, runs one command, returns its exit code.
#include <iosfwd>

namespace kb::cli {
int run(int argc, const char* const* argv, std::ostream& out, std::ostream& err);
}
