// Helm's --set syntax (strvals) as apply_set reads it, for every flag kind. Input layout: the
// first byte picks the kind (--set, --set-string, --set-json, --set-file, --set-literal), the rest
// is the flag's argument; each argument is applied twice onto the same values, as repeated flags
// are.
// Properties checked beyond "no crash, no leak, no hang": every failure is a SetParseError whose
// column lies inside the expression; what was applied serializes as JSON.
#include "pkg/chart/set_parser.hpp"
#include "test/fuzz/fuzz_input.hpp"

#include <boost/json/serialize.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kb::chart;
  if (size == 0) return 0;
  constexpr SetKind kinds[] = {SetKind::Typed, SetKind::String, SetKind::Json, SetKind::File, SetKind::Literal};
  SetKind kind = kinds[data[0] % 5];
  std::string_view expression = kb::fuzz::as_text(data + 1, size - 1);
  auto read_file = [](const std::string& path) -> std::string {
    if (path.empty() || path[0] == 'x') throw std::runtime_error("open " + path + ": no such file or directory");
    return "content of " + path + "\n";
  };
  boost::json::object values{{"image", boost::json::object{{"tag", "v1"}}}, {"list", boost::json::array{1, 2}}};
  for (int round = 0; round < 2; ++round) {
    try {
      apply_set(expression, kind, values, read_file);
    } catch (const SetParseError& error) {
      if (error.column() > error.expression().size()) kb::fuzz::finding("an error column outside the expression");
      break;
    }
  }
  boost::json::serialize(values);
  numbers_as_floats(values);
  return 0;
}
