// The unit tests' minimal HTTP client, compiled into the integration executable too (the test
// CMake globs each suite's own support/ folder; one definition is kept, not a copy).
#include "test/unit/bitcoin/support/http_post.cpp"  // NOLINT(bugprone-suspicious-include)
