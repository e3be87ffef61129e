#include "pkg/chart/template_lexer.hpp"

#include "pkg/chart/template_error.hpp"

#include <algorithm>

namespace kb::chart {
namespace {

constexpr std::string_view kLeft = "{{";
constexpr std::string_view kRight = "}}";

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}

class Lexer {
 public:
  Lexer(std::string_view name, std::string_view text) : name_(name), text_(text) {}

  std::vector<Token> run() {
    tokens_.reserve(text_.size() / 8 + 1);  // about what templates produce; saves regrowing
    while (pos_ < text_.size()) lex_text();
    tokens_.push_back({TokenType::EndOfInput, text_.size(), ""});
    return std::move(tokens_);
  }

 private:
  [[noreturn]] void fail(std::size_t at, const std::string& message) {
    auto [line, column] = line_and_column(text_, at);
    throw TemplateError::parse(std::string(name_), line, column, message);
  }

  void lex_text() {
    std::size_t next = text_.find(kLeft, pos_);
    std::size_t end = next == std::string_view::npos ? text_.size() : next;
    std::string_view chunk = text_.substr(pos_, end - pos_);
    bool trim_left = false;
    if (next != std::string_view::npos) {
      std::size_t after = next + kLeft.size();
      trim_left = after + 1 < text_.size() && text_[after] == '-' && is_space(text_[after + 1]);
    }
    if (trim_left)
      while (!chunk.empty() && is_space(chunk.back())) chunk.remove_suffix(1);
    if (!chunk.empty()) tokens_.push_back({TokenType::Text, pos_, std::string(chunk)});
    if (next == std::string_view::npos) {
      pos_ = text_.size();
      return;
    }
    pos_ = next;
    lex_left_delim(trim_left);
  }

  // After a right delimiter with a trim marker, the following text loses its leading space.
  void skip_space_after_trim() {
    while (pos_ < text_.size() && is_space(text_[pos_])) ++pos_;
  }

  bool at_right_delim(bool& trim) const {
    if (text_.substr(pos_).starts_with(kRight)) {
      trim = false;
      return true;
    }
    if (pos_ + 1 < text_.size() && is_space(text_[pos_]) && text_.substr(pos_ + 1).starts_with("-}}")) {
      trim = true;
      return true;
    }
    return false;
  }

  void lex_left_delim(bool trim_left) {
    std::size_t start = pos_;
    pos_ += kLeft.size() + (trim_left ? 2 : 0);
    if (text_.substr(pos_).starts_with("/*")) {
      std::size_t close = text_.find("*/", pos_ + 2);
      if (close == std::string_view::npos) fail(start, "unclosed comment");
      pos_ = close + 2;
      bool trim = false;
      if (!at_right_delim(trim)) fail(start, "comment ends before closing delimiter");
      pos_ += trim ? 4 : 2;
      if (trim) skip_space_after_trim();
      return;
    }
    tokens_.push_back({TokenType::LeftDelim, start, std::string(kLeft)});
    lex_inside_action(start);
  }

  void lex_inside_action(std::size_t action_start) {
    int paren_depth = 0;
    while (true) {
      bool trim = false;
      if (at_right_delim(trim)) {
        if (paren_depth > 0) fail(pos_, "unclosed left paren");
        if (trim) {
          tokens_.push_back({TokenType::Space, pos_, " "});
          ++pos_;
        }
        tokens_.push_back({TokenType::RightDelim, pos_, std::string(kRight)});
        pos_ += trim ? 3 : 2;
        if (trim) skip_space_after_trim();
        return;
      }
      if (pos_ >= text_.size()) fail(action_start, "unclosed action");
      char c = text_[pos_];
      std::size_t start = pos_;
      if (is_space(c)) {
        while (pos_ < text_.size() && is_space(text_[pos_]) && !at_right_delim(trim)) ++pos_;
        emit(TokenType::Space, start);
      } else if (c == '=') {
        ++pos_;
        emit(TokenType::Assign, start);
      } else if (c == ':') {
        if (pos_ + 1 >= text_.size() || text_[pos_ + 1] != '=') fail(pos_, "expected :=");
        pos_ += 2;
        emit(TokenType::Declare, start);
      } else if (c == '|') {
        ++pos_;
        emit(TokenType::Pipe, start);
      } else if (c == '"') {
        lex_quoted(start, '"', TokenType::String);
      } else if (c == '\'') {
        lex_quoted(start, '\'', TokenType::Char);
      } else if (c == '`') {
        std::size_t close = text_.find('`', pos_ + 1);
        if (close == std::string_view::npos) fail(start, "unterminated raw quoted string");
        pos_ = close + 1;
        emit(TokenType::RawString, start);
      } else if (c == '$') {
        ++pos_;
        while (pos_ < text_.size() && is_alnum(text_[pos_])) ++pos_;
        emit(TokenType::Variable, start);
      } else if (c == '.') {
        if (pos_ + 1 < text_.size() && text_[pos_ + 1] >= '0' && text_[pos_ + 1] <= '9') {
          lex_number(start);
        } else {
          ++pos_;
          if (pos_ < text_.size() && is_alnum(text_[pos_])) {
            while (pos_ < text_.size() && is_alnum(text_[pos_])) ++pos_;
            emit(TokenType::Field, start);
          } else {
            emit(TokenType::Dot, start);
          }
        }
      } else if (c == '+' || c == '-' || (c >= '0' && c <= '9')) {
        lex_number(start);
      } else if (is_alnum(c)) {
        while (pos_ < text_.size() && is_alnum(text_[pos_])) ++pos_;
        std::string_view word = text_.substr(start, pos_ - start);
        static constexpr std::string_view keywords[] = {"block", "break", "continue", "define",   "else",
                                                        "end",   "if",    "range",    "template", "with"};
        if (word == "true" || word == "false")
          emit(TokenType::Bool, start);
        else if (word == "nil")
          emit(TokenType::Nil, start);
        else if (std::find(std::begin(keywords), std::end(keywords), word) != std::end(keywords))
          emit(TokenType::Keyword, start);
        else
          emit(TokenType::Identifier, start);
      } else if (c == '(') {
        // Go has no limit; ours keeps the recursive parser's stack bounded on hostile input.
        if (++paren_depth > 1000) fail(pos_, "too many nested parentheses");
        ++pos_;
        emit(TokenType::LeftParen, start);
      } else if (c == ')') {
        if (--paren_depth < 0) fail(pos_, "unexpected right paren");
        ++pos_;
        emit(TokenType::RightParen, start);
      } else if (c == ',') {
        ++pos_;
        emit(TokenType::Comma, start);
      } else {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
          fail(pos_, "unrecognized character in action: " + std::to_string(static_cast<int>(c)));
        // Go lexes other punctuation as a character item; the parser then rejects it in context.
        ++pos_;
        emit(TokenType::Other, start);
      }
    }
  }

  void lex_quoted(std::size_t start, char quote, TokenType type) {
    ++pos_;
    while (true) {
      if (pos_ >= text_.size() || text_[pos_] == '\n')
        fail(start, quote == '"' ? "unterminated quoted string" : "unterminated character constant");
      char c = text_[pos_++];
      if (c == '\\') {
        if (pos_ >= text_.size()) fail(start, "unterminated quoted string");
        ++pos_;
      } else if (c == quote) {
        break;
      }
    }
    emit(type, start);
  }

  void lex_number(std::size_t start) {
    if (text_[pos_] == '+' || text_[pos_] == '-') ++pos_;
    std::string_view digits = text_.substr(pos_);
    bool hex = digits.starts_with("0x") || digits.starts_with("0X");
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (c == '+' || c == '-') {
        char previous = text_[pos_ - 1];
        bool exponent = hex ? (previous == 'p' || previous == 'P') : (previous == 'e' || previous == 'E');
        if (!exponent) break;
        ++pos_;
      } else if (is_alnum(c) || c == '.') {
        ++pos_;
      } else {
        break;
      }
    }
    emit(TokenType::Number, start);
  }

  void emit(TokenType type, std::size_t start) {
    tokens_.push_back({type, start, std::string(text_.substr(start, pos_ - start))});
  }

  std::string_view name_;
  std::string_view text_;
  std::size_t pos_ = 0;
  std::vector<Token> tokens_;
};

}  // namespace

std::vector<Token> lex_template(std::string_view name, std::string_view text) { return Lexer(name, text).run(); }

std::pair<int, int> line_and_column(std::string_view text, std::size_t pos) {
  pos = std::min(pos, text.size());
  std::string_view before = text.substr(0, pos);
  int line = 1 + static_cast<int>(std::count(before.begin(), before.end(), '\n'));
  std::size_t last_newline = before.rfind('\n');
  int column = static_cast<int>(last_newline == std::string_view::npos ? pos : pos - last_newline - 1);
  return {line, column};
}

}  // namespace kb::chart
