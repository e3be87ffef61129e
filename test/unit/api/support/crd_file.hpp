#pragma once
// manifests/crd.yaml as the tests read it: the tests that hold the CRD against the code (pkg/api's
// defaults, pkg/controller's refused spec.args) share this. Header-only: each test executable
// that includes it has KB_SOURCE_DIR.
#include "pkg/base/yaml_parse.hpp"

#include <doctest/doctest.h>

#include <boost/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace kb::testing {

inline const std::filesystem::path kSourceDir(KB_SOURCE_DIR);

inline std::string read_source_file(const std::filesystem::path& relative) {
  std::ifstream in(kSourceDir / relative, std::ios::binary);
  REQUIRE_MESSAGE(in, (kSourceDir / relative).string());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

inline boost::json::value read_crd() {
  return base::parse_yaml(read_source_file("manifests/crd.yaml"), "manifests/crd.yaml");
}

// The openAPIV3Schema of spec, in the CRD's only version.
inline const boost::json::object& spec_schema(const boost::json::value& crd) {
  return crd.at("spec").at("versions").at(0).at("schema").at("openAPIV3Schema").at("properties").at("spec").as_object();
}

}  // namespace kb::testing
