#pragma once
// Helpers for the fuzz harnesses: readable input layouts, and a finding that stops the fuzzer.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace kb::fuzz {

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// The first `lines` lines of the input (without their '\n') and the rest: seed files stay
// readable ("POST\n/v1/...\nBasic ...\n{body}"). Missing lines are empty.
inline std::vector<std::string_view> split_lines(std::string_view input, std::size_t lines) {
  std::vector<std::string_view> fields;
  for (std::size_t i = 0; i < lines; ++i) {
    auto end = input.find('\n');
    if (end == std::string_view::npos) {
      fields.push_back(input);
      input = {};
    } else {
      fields.push_back(input.substr(0, end));
      input.remove_prefix(end + 1);
    }
  }
  fields.push_back(input);
  return fields;
}

// A property the code under test broke: prints why and stops (libFuzzer saves the input).
[[noreturn]] inline void finding(const std::string& what) {
  std::fprintf(stderr, "FUZZ FINDING: %s\n", what.c_str());
  __builtin_trap();
}

}  // namespace kb::fuzz
