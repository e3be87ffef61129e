#pragma once
// Validation of values against a chart's values.schema.json: the JSON Schema (draft 7) keywords
// charts use — type, properties, required, additionalProperties, patternProperties, enum, const,
// minimum/maximum (and exclusive forms), multipleOf, pattern, minLength/maxLength, items,
// minItems/maxItems, uniqueItems, minProperties/maxProperties, allOf/anyOf/oneOf/not, $ref to
// local definitions. Messages follow Helm 3's validator: "- at '/path': got string, want integer".
#include <boost/json/value.hpp>

#include <stdexcept>
#include <string>
#include <vector>

namespace kb::chart {

struct SchemaViolation {
  std::string path;     // JSON pointer into the values, "" for the root, e.g. "/image/tag"
  std::string rule;     // the schema keyword that failed, e.g. "type", "required", "enum"
  std::string message;  // e.g. "got string, want integer"
};

class SchemaError : public std::runtime_error {
 public:
  SchemaError(std::string chart_name, std::vector<SchemaViolation> violations);
  const std::string& chart_name() const { return chart_name_; }
  const std::vector<SchemaViolation>& violations() const { return violations_; }

 private:
  std::string chart_name_;
  std::vector<SchemaViolation> violations_;
};

// Every violation of `schema` by `values` (empty when valid). Throws std::invalid_argument for a
// schema that is not an object or uses a $ref it cannot resolve.
std::vector<SchemaViolation> validate_against_schema(const boost::json::value& values,
                                                     const boost::json::value& schema);

// Throws SchemaError naming `chart_name` when `values` violate `schema`.
void check_values_schema(const std::string& chart_name, const boost::json::value& values,
                         const boost::json::value& schema);

}  // namespace kb::chart
