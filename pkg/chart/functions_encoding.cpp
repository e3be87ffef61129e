// Encodings and serialisation: base64, hashes, JSON and YAML in both directions, random strings
// and UUIDs (from the engine's injectable random source).
#include "pkg/base/base64.hpp"
#include "pkg/base/yaml_parse.hpp"
#include "pkg/chart/function_registry.hpp"
#include "pkg/chart/go_json.hpp"
#include "pkg/chart/yaml_emit.hpp"

#include <openssl/evp.h>
#include <algorithm>
#include <boost/json.hpp>

#include <cstdio>

namespace kb::chart {
namespace {
using Args = std::span<const Value>;

std::string hex_digest(const EVP_MD* md, std::string_view input) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(input.data(), input.size(), digest, &length, md, nullptr);
  std::string out;
  char buf[3];
  for (unsigned int i = 0; i < length; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", digest[i]);
    out += buf;
  }
  return out;
}

std::string random_from(CallContext& ctx, std::string_view alphabet, std::int64_t count) {
  check_generated_size(ctx, static_cast<std::uint64_t>(std::max<std::int64_t>(count, 0)));
  std::string out;
  for (std::int64_t i = 0; i < count; ++i) out += alphabet[ctx.random_below(alphabet.size())];
  return out;
}

}  // namespace

void register_encoding_functions(FunctionRegistry& r) {
  r.add("b64enc", 1, 1, [](CallContext&, Args a) { return Value(kb::base::base64_encode(to_go_string(a[0]))); });
  r.add("b64dec", 1, 1, [](CallContext&, Args a) {
    auto decoded = kb::base::base64_decode(string_arg(a, 0));
    return Value(decoded ? *decoded : std::string("illegal base64 data at input byte 0"));
  });
  r.add("sha256sum", 1, 1, [](CallContext&, Args a) { return Value(hex_digest(EVP_sha256(), string_arg(a, 0))); });
  r.add("sha1sum", 1, 1, [](CallContext&, Args a) { return Value(hex_digest(EVP_sha1(), string_arg(a, 0))); });
  r.add("sha512sum", 1, 1, [](CallContext&, Args a) { return Value(hex_digest(EVP_sha512(), string_arg(a, 0))); });
  r.add("adler32sum", 1, 1, [](CallContext&, Args a) {
    std::uint32_t s1 = 1, s2 = 0;
    for (unsigned char c : string_arg(a, 0)) {
      s1 = (s1 + c) % 65521;
      s2 = (s2 + s1) % 65521;
    }
    return Value(std::to_string((s2 << 16) | s1));
  });

  r.add("toYaml", 1, 1, [](CallContext&, Args a) { return Value(helm_to_yaml(a[0])); });
  r.add("mustToYaml", 1, 1, [](CallContext&, Args a) { return Value(helm_to_yaml(a[0])); });
  r.add("toYamlPretty", 1, 1, [](CallContext&, Args a) { return Value(helm_to_yaml(a[0])); });
  r.add("fromYaml", 1, 1, [](CallContext&, Args a) {
    try {
      auto parsed = kb::base::parse_yaml(string_arg(a, 0));
      if (parsed.is_null()) return Value(Dict{});
      if (!parsed.is_object())
        return Value(Dict{{"Error", Value("error unmarshaling JSON: json: cannot unmarshal array into Go value of type "
                                          "map[string]interface {}")}});
      return from_json(parsed);
    } catch (const kb::base::YamlError& e) {
      return Value(Dict{{"Error", Value(std::string("error converting YAML to JSON: yaml: line ") +
                                        std::to_string(e.line()) + ": " + e.problem())}});
    }
  });
  r.add("fromYamlArray", 1, 1, [](CallContext&, Args a) {
    try {
      auto parsed = kb::base::parse_yaml(string_arg(a, 0));
      if (parsed.is_null()) return Value(List{});
      if (!parsed.is_array())
        return Value(
            List{Value("error unmarshaling JSON: json: cannot unmarshal object into Go value of type []interface {}")});
      return from_json(parsed);
    } catch (const kb::base::YamlError& e) {
      return Value(List{Value(std::string("error converting YAML to JSON: yaml: line ") + std::to_string(e.line()) +
                              ": " + e.problem())});
    }
  });
  r.add("toJson", 1, 1, [](CallContext&, Args a) { return Value(to_go_json(a[0])); });
  r.add("mustToJson", 1, 1, [](CallContext&, Args a) { return Value(to_go_json(a[0])); });
  r.add("toRawJson", 1, 1, [](CallContext&, Args a) { return Value(to_go_json(a[0], {.escape_html = false})); });
  r.add("toPrettyJson", 1, 1, [](CallContext&, Args a) { return Value(to_go_json(a[0], {.indent = "  "})); });
  auto from_json_text = [](bool want_array) {
    return [want_array](CallContext&, Args a) {
      boost::system::error_code ec;
      auto parsed = boost::json::parse(string_arg(a, 0), ec);
      std::string error;
      if (ec)
        error = ec.message();
      else if (want_array && !parsed.is_array())
        error = "json: cannot unmarshal " + std::string(parsed.is_object() ? "object" : "value") +
                " into Go value of type []interface {}";
      else if (!want_array && !parsed.is_object())
        error = "json: cannot unmarshal " + std::string(parsed.is_array() ? "array" : "value") +
                " into Go value of type map[string]interface {}";
      if (!error.empty()) return want_array ? Value(List{Value(error)}) : Value(Dict{{"Error", Value(error)}});
      return from_json(parsed);
    };
  };
  r.add("fromJson", 1, 1, from_json_text(false));
  r.add("fromJsonArray", 1, 1, from_json_text(true));

  constexpr std::string_view letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  constexpr std::string_view digits = "0123456789";
  r.add("randAlphaNum", 1, 1, [](CallContext& ctx, Args a) {
    return Value(random_from(ctx, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", int_arg(a, 0)));
  });
  r.add("randAlpha", 1, 1,
        [letters](CallContext& ctx, Args a) { return Value(random_from(ctx, letters, int_arg(a, 0))); });
  r.add("randNumeric", 1, 1,
        [digits](CallContext& ctx, Args a) { return Value(random_from(ctx, digits, int_arg(a, 0))); });
  r.add("randAscii", 1, 1, [](CallContext& ctx, Args a) {
    std::string alphabet;
    for (char c = 32; c < 127; ++c) alphabet += c;
    return Value(random_from(ctx, alphabet, int_arg(a, 0)));
  });
  r.add("randInt", 2, 2, [](CallContext& ctx, Args a) {
    auto lo = cast_to_int64(a[0]), hi = cast_to_int64(a[1]);
    if (hi <= lo) throw FunctionError("invalid argument to Intn");
    return Value::integer(lo + static_cast<std::int64_t>(ctx.random_below(static_cast<std::uint64_t>(hi - lo))));
  });
  r.add("shuffle", 1, 1, [](CallContext& ctx, Args a) {
    std::string s = string_arg(a, 0);
    for (std::size_t i = s.size(); i > 1; --i) std::swap(s[i - 1], s[ctx.random_below(i)]);
    return Value(s);
  });
  r.add("randBytes", 1, 1, [](CallContext& ctx, Args a) {
    std::string bytes;
    for (std::int64_t i = 0; i < int_arg(a, 0); ++i) bytes += static_cast<char>(ctx.random_below(256));
    return Value(kb::base::base64_encode(bytes));
  });
  r.add("uuidv4", 0, 0, [](CallContext& ctx, Args) {
    unsigned char bytes[16];
    for (auto& b : bytes) b = static_cast<unsigned char>(ctx.random_below(256));
    bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0F) | 0x40);
    bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3F) | 0x80);
    char buf[40];
    std::snprintf(buf, sizeof buf, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", bytes[0],
                  bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7], bytes[8], bytes[9], bytes[10],
                  bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]);
    return Value(std::string(buf));
  });
}

}  // namespace kb::chart
