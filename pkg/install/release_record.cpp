#include "pkg/install/release_record.hpp"

#include "pkg/base/base64.hpp"
#include "pkg/base/json_path.hpp"

#include <zlib.h>

#include <boost/json.hpp>

namespace kb::install {
namespace json = boost::json;

std::string release_secret_name(const std::string& release, int revision) {
  return "sh.helm.release.v1." + release + ".v" + std::to_string(revision);
}

std::string gzip_compress(const std::string& data) {
  z_stream stream{};
  // windowBits 15 + 16: a gzip header and trailer, as Go's compress/gzip writes.
  if (deflateInit2(&stream, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return {};
  std::string out;
  out.resize(deflateBound(&stream, static_cast<uLong>(data.size())) + 32);
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  deflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

std::optional<std::string> gzip_decompress(const std::string& data) {
  z_stream stream{};
  if (inflateInit2(&stream, 15 + 32) != Z_OK) return std::nullopt;  // +32: gzip or zlib, detected
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  std::string out;
  char buffer[16384];
  int rc = Z_OK;
  while (rc == Z_OK) {
    stream.next_out = reinterpret_cast<Bytef*>(buffer);
    stream.avail_out = sizeof buffer;
    rc = inflate(&stream, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&stream);
      return std::nullopt;
    }
    out.append(buffer, sizeof buffer - stream.avail_out);
  }
  inflateEnd(&stream);
  return out;
}

json::value encode_release_secret(const ReleaseRecord& r) {
  json::object release{
      {"name", r.name},
      {"info",
       {{"first_deployed", r.first_deployed},
        {"last_deployed", r.last_deployed},
        {"deleted", ""},
        {"description", r.description},
        {"status", r.status},
        {"notes", r.notes}}},
      {"chart",
       {{"metadata", r.chart_metadata.is_null() ? json::value(json::object{}) : r.chart_metadata},
        {"lock", nullptr},
        {"templates", json::array{}},
        {"values", r.chart_values.is_null() ? json::value(json::object{}) : r.chart_values},
        {"schema", nullptr},
        {"files", json::array{}}}},
      {"config", r.config.is_null() ? json::value(json::object{}) : r.config},
      {"manifest", r.manifest},
      {"version", r.revision},
      {"namespace", r.namespace_name},
  };
  std::string helm_encoded = base::base64_encode(gzip_compress(json::serialize(release)));
  return json::object{
      {"apiVersion", "v1"},
      {"kind", "Secret"},
      {"type", "helm.sh/release.v1"},
      {"metadata",
       {{"name", release_secret_name(r.name, r.revision)},
        {"namespace", r.namespace_name},
        {"labels",
         {{"name", r.name},
          {"owner", "helm"},
          {"status", r.status},
          {"version", std::to_string(r.revision)},
          {"app.kubernetes.io/managed-by", "kubectl-bitcoin"}}}}},
      {"data", {{"release", base::base64_encode(helm_encoded)}}},
  };
}

std::optional<ReleaseRecord> decode_release_secret(const json::value& secret, std::string& problem) {
  const auto* release = base::json_at(secret, "data", "release");
  if (!release || !release->is_string()) {
    problem = "the Secret has no data.release";
    return std::nullopt;
  }
  auto helm_encoded = base::base64_decode(release->as_string());
  auto compressed = helm_encoded ? base::base64_decode(*helm_encoded) : std::nullopt;
  if (!compressed) {
    problem = "data.release is not base64";
    return std::nullopt;
  }
  // Helm gzips releases, but reads plain JSON too; so do we.
  std::optional<std::string> text = compressed->size() > 2 && (*compressed)[0] == '\x1f' && (*compressed)[1] == '\x8b'
                                        ? gzip_decompress(*compressed)
                                        : std::optional<std::string>(*compressed);
  if (!text) {
    problem = "data.release is not valid gzip";
    return std::nullopt;
  }
  json::value parsed;
  try {
    parsed = json::parse(*text);
  } catch (const std::exception& e) {
    problem = std::string("the release is not JSON: ") + e.what();
    return std::nullopt;
  }
  if (!parsed.is_object()) {
    problem = "the release is not a JSON object";
    return std::nullopt;
  }
  ReleaseRecord r;
  r.name = base::string_at(parsed, "name").value_or("");
  r.namespace_name = base::string_at(parsed, "namespace").value_or("");
  r.manifest = base::string_at(parsed, "manifest").value_or("");
  if (auto version = base::int_at(parsed, "version")) r.revision = static_cast<int>(*version);
  r.status = base::string_at(parsed, "info", "status").value_or("");
  r.first_deployed = base::string_at(parsed, "info", "first_deployed").value_or("");
  r.last_deployed = base::string_at(parsed, "info", "last_deployed").value_or("");
  r.description = base::string_at(parsed, "info", "description").value_or("");
  r.notes = base::string_at(parsed, "info", "notes").value_or("");
  if (const auto* m = base::json_at(parsed, "chart", "metadata")) r.chart_metadata = *m;
  if (const auto* v = base::json_at(parsed, "chart", "values")) r.chart_values = *v;
  if (const auto* c = base::json_at(parsed, "config")) r.config = *c;
  return r;
}

}  // namespace kb::install
