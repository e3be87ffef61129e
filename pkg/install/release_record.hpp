#pragma once
// The record of what an install put into the cluster, stored the way Helm 3 stores releases
// (a Secret `sh.helm.release.v1.<release>.v<revision>` of type helm.sh/release.v1 whose
// `release` key holds base64(gzip(release JSON))), so `helm list` and `helm uninstall` see
// installs made by `kubectl bitcoin install`, and `status`/`uninstall` here know what to remove.
#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace kb::install {

struct ReleaseRecord {
  std::string name;
  std::string namespace_name;
  int revision = 1;
  std::string status = "deployed";  // deployed, superseded, failed, uninstalling
  std::string first_deployed;       // RFC 3339
  std::string last_deployed;
  std::string description;            // "Install complete", "Upgrade complete"
  std::string notes;                  // rendered NOTES.txt
  std::string manifest;               // the rendered documents, "---\n# Source: ..." as helm template prints them
  boost::json::value chart_metadata;  // Chart.yaml as JSON (Helm's chart.Metadata field names)
  boost::json::value config;          // the user-supplied values (Helm's "config")
  boost::json::value chart_values;    // the chart's values.yaml
};

std::string release_secret_name(const std::string& release, int revision);

// The Secret object for a record (data.release is base64 of Helm's base64(gzip(JSON)) string).
boost::json::value encode_release_secret(const ReleaseRecord& record);
// Reads a record back from such a Secret; nullopt (with `problem`) when it is not one.
std::optional<ReleaseRecord> decode_release_secret(const boost::json::value& secret, std::string& problem);

// gzip (RFC 1952) helpers, exposed for tests.
std::string gzip_compress(const std::string& data);
std::optional<std::string> gzip_decompress(const std::string& data);

}  // namespace kb::install
