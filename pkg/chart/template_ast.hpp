#pragma once
// The parse tree of one template, shaped like Go's text/template/parse nodes. Every node keeps its
// byte position and its canonical text (Go's Node.String()), which execution errors quote.
#include "pkg/chart/value.hpp"

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace kb::chart {

struct Pipeline;

struct Operand {
  enum class Kind { Field, Variable, Dot, Nil, Bool, Number, String, Identifier, Chain, Pipe };
  Kind kind = Kind::Nil;
  std::size_t pos = 0;
  std::string name;                 // Variable: "$x" or "$"; Identifier: function name
  std::vector<std::string> fields;  // Field: the field names; Variable and Chain: fields after the base
  Value constant;                   // Bool, Number, String
  std::shared_ptr<Pipeline> pipe;   // Pipe: a parenthesised pipeline
  std::shared_ptr<Operand> base;    // Chain: the operand the fields apply to
  std::string text;                 // canonical form, e.g. ".Values.image.tag"
};

struct Command {
  std::size_t pos = 0;
  std::vector<Operand> args;
  std::string text;
};

struct Pipeline {
  std::size_t pos = 0;
  bool is_assign = false;         // "$x = ..." rather than "$x := ..."
  std::vector<std::string> decl;  // declared or assigned variables
  std::vector<Command> commands;
  std::string text;
};

struct Node {
  enum class Kind { Text, Action, If, Range, With, Template, Break, Continue };
  Kind kind = Kind::Text;
  std::size_t pos = 0;
  std::string text;  // Text: the literal text; Template: the called template's name
  std::shared_ptr<Pipeline> pipe;
  std::vector<Node> body;
  std::vector<Node> else_body;
  std::string context;  // canonical form for error messages, e.g. {{template "x" .}}
};

// One parsed template body: the file's main body or a {{define}}.
struct Tree {
  std::string name;                           // the template's name (file path or define name)
  std::string parse_name;                     // the file it was parsed from, for error locations
  std::shared_ptr<const std::string> source;  // that file's text, for line/column computation
  std::vector<Node> root;
  bool empty = true;  // only whitespace text: Go lets a non-empty definition replace it
};

}  // namespace kb::chart
