#pragma once
// Splits template text into tokens the way Go's text/template lexer does, including the
// whitespace trimming of "{{- " and " -}}" and the removal of comments.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace kb::chart {

enum class TokenType {
  Text,
  LeftDelim,
  RightDelim,
  Space,
  Identifier,
  Keyword,
  Field,
  Dot,
  Variable,
  String,
  RawString,
  Char,
  Number,
  Bool,
  Nil,
  Pipe,
  LeftParen,
  RightParen,
  Declare,
  Assign,
  Comma,
  Other,
  EndOfInput
};

struct Token {
  TokenType type;
  std::size_t pos;   // byte offset in the template text
  std::string text;  // the token's source text (for Text: the text after trimming)
};

// Throws TemplateError (parse phase) on an unclosed action, comment, string or parenthesis.
std::vector<Token> lex_template(std::string_view name, std::string_view text);

// 1-based line and 0-based column of a byte offset, as Go's ErrorContext computes them.
std::pair<int, int> line_and_column(std::string_view text, std::size_t pos);

}  // namespace kb::chart
