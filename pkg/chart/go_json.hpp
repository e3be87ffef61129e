#pragma once
// JSON text the way Go's encoding/json writes it (Helm's toJson, toRawJson, toPrettyJson):
// sorted keys, <>& escaped as \u003c... unless raw, floats in Go's shortest form.
#include "pkg/chart/value.hpp"

#include <string>

namespace kb::chart {

struct GoJsonOptions {
  bool escape_html = true;
  std::string indent;  // non-empty: json.MarshalIndent with this indent and no prefix
};

std::string to_go_json(const Value& v, const GoJsonOptions& options = {});

}  // namespace kb::chart
