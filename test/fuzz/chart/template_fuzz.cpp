// libFuzzer harness for the template engine, the YAML emitter and the --set parser: any input
// must end in output or in one of the documented error types, never in a crash or a hang.
// Build (clang only), e.g.:
//   clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -I. test/fuzz/chart/template_fuzz.cpp \
//     build/libkb_chart.a build/libkb_base.a -lboost_json -lyaml-cpp -lcrypto -o chart-fuzz
#include "pkg/base/yaml_parse.hpp"
#include "pkg/chart/set_parser.hpp"
#include "pkg/chart/template_engine.hpp"
#include "pkg/chart/yaml_emit.hpp"

#include <boost/json.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  // The first byte picks the target so that one corpus exercises all three.
  char target = input.empty() ? 0 : input[0];
  std::string body = input.empty() ? input : input.substr(1);
  switch (target % 3) {
    case 0: {
      kb::chart::EngineOptions options;
      options.random = [](std::uint64_t) { return std::uint64_t{0}; };
      options.max_include_depth = 20;
      kb::chart::Engine engine(options);
      try {
        engine.add_template("fuzz", body);
        kb::chart::Dict values{{"a", kb::chart::Value(1.0)}, {"s", kb::chart::Value("x")}};
        engine.render("fuzz", kb::chart::Value(kb::chart::Dict{{"Values", kb::chart::Value(std::move(values))}}));
      } catch (const kb::chart::TemplateError&) {
      }
      break;
    }
    case 1: {
      boost::json::object values;
      try {
        kb::chart::apply_set(body, kb::chart::SetKind::Typed, values);
        kb::chart::apply_set(body, kb::chart::SetKind::Json, values);
      } catch (const kb::chart::SetParseError&) {
      }
      break;
    }
    default: {
      // Emit, then read back: what to_yaml writes must parse to the same value.
      boost::json::value v;
      try {
        v = kb::base::parse_yaml(body);
      } catch (const kb::base::YamlError&) {
        return 0;
      }
      std::string text = kb::chart::to_yaml(v);
      if (kb::base::parse_yaml(text, "emitted") != v) {
        std::fprintf(stderr, "to_yaml does not read back:\n%s\n--- emitted:\n%s\n", body.c_str(), text.c_str());
        __builtin_trap();
      }
      break;
    }
  }
  return 0;
}
