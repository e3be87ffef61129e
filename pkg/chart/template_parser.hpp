#pragma once
// Builds parse trees from template text: the file's own tree plus one per {{define}}/{{block}}.
#include "pkg/chart/template_ast.hpp"

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace kb::chart {

struct ParsedTemplates {
  Tree main;
  std::vector<Tree> definitions;
};

// `is_function` tells whether an identifier names a function (unknown ones are parse errors, as in
// Go). Throws TemplateError (parse phase).
ParsedTemplates parse_template(const std::string& name, std::shared_ptr<const std::string> source,
                               const std::function<bool(std::string_view)>& is_function);

}  // namespace kb::chart
