#include "pkg/chart/template_parser.hpp"

#include "pkg/base/utf8.hpp"
#include "pkg/chart/template_error.hpp"
#include "pkg/chart/template_lexer.hpp"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <map>

namespace kb::chart {
namespace {

using base::append_utf8;

// strconv.Unquote for "..." and '...'; nullopt on a bad escape.
std::optional<std::string> unquote(std::string_view quoted) {
  std::string out;
  std::string_view body = quoted.substr(1, quoted.size() - 2);
  for (std::size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (c != '\\') {
      out += c;
      continue;
    }
    if (++i >= body.size()) return std::nullopt;
    char e = body[i];
    auto hex = [&](int digits) -> std::optional<std::uint32_t> {
      if (i + static_cast<std::size_t>(digits) >= body.size()) return std::nullopt;
      std::uint32_t v = 0;
      auto r = std::from_chars(body.data() + i + 1, body.data() + i + 1 + digits, v, 16);
      if (r.ptr != body.data() + i + 1 + digits) return std::nullopt;
      i += static_cast<std::size_t>(digits);
      return v;
    };
    switch (e) {
      case 'n':
        out += '\n';
        break;
      case 't':
        out += '\t';
        break;
      case 'r':
        out += '\r';
        break;
      case 'a':
        out += '\a';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'v':
        out += '\v';
        break;
      case '\\':
        out += '\\';
        break;
      case '"':
        out += '"';
        break;
      case '\'':
        out += '\'';
        break;
      case 'x': {
        auto v = hex(2);
        if (!v) return std::nullopt;
        out += static_cast<char>(*v);
        break;
      }
      case 'u': {
        auto v = hex(4);
        if (!v) return std::nullopt;
        append_utf8(out, *v);
        break;
      }
      case 'U': {
        auto v = hex(8);
        if (!v) return std::nullopt;
        append_utf8(out, *v);
        break;
      }
      default:
        if (e >= '0' && e <= '7' && i + 2 < body.size()) {
          out += static_cast<char>((e - '0') * 64 + (body[i + 1] - '0') * 8 + (body[i + 2] - '0'));
          i += 2;
          break;
        }
        return std::nullopt;
    }
  }
  return out;
}

// Decodes the first UTF-8 code point of s.
std::uint32_t first_code_point(std::string_view s) {
  if (s.empty()) return 0;
  auto b = static_cast<unsigned char>(s[0]);
  if (b < 0x80) return b;
  int n = b >= 0xF0 ? 3 : b >= 0xE0 ? 2 : 1;
  std::uint32_t cp = b & (0x3F >> n);
  for (int k = 1; k <= n && static_cast<std::size_t>(k) < s.size(); ++k)
    cp = (cp << 6) | (static_cast<unsigned char>(s[static_cast<std::size_t>(k)]) & 0x3F);
  return cp;
}

std::optional<Value> parse_number(std::string text) {
  std::string clean;
  for (char c : text)
    if (c != '_') clean += c;
  bool negative = false;
  std::string_view body = clean;
  if (!body.empty() && (body[0] == '+' || body[0] == '-')) {
    negative = body[0] == '-';
    body.remove_prefix(1);
  }
  int base = 10;
  std::string_view digits = body;
  if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X'))
    base = 16, digits.remove_prefix(2);
  else if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'b' || digits[1] == 'B'))
    base = 2, digits.remove_prefix(2);
  else if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'o' || digits[1] == 'O'))
    base = 8, digits.remove_prefix(2);
  else if (digits.size() > 1 && digits[0] == '0' && digits.find_first_of(".eE") == std::string_view::npos)
    base = 8, digits.remove_prefix(1);
  std::uint64_t u = 0;
  auto r = std::from_chars(digits.data(), digits.data() + digits.size(), u, base);
  if (r.ec == std::errc() && r.ptr == digits.data() + digits.size() && !digits.empty()) {
    if (u > static_cast<std::uint64_t>(INT64_MAX) + (negative ? 1 : 0))
      return Value(negative ? -static_cast<double>(u) : static_cast<double>(u));
    return Value::integer(negative ? static_cast<std::int64_t>(0 - u) : static_cast<std::int64_t>(u));
  }
  if (base == 10 || base == 8) {
    double d = 0;
    auto rf = std::from_chars(body.data(), body.data() + body.size(), d);
    if (rf.ec == std::errc() && rf.ptr == body.data() + body.size()) return Value(negative ? -d : d);
  }
  return std::nullopt;
}

class Parser {
 public:
  Parser(const std::string& name, std::shared_ptr<const std::string> source,
         const std::function<bool(std::string_view)>& is_function)
      : name_(name), source_(std::move(source)), is_function_(is_function), tokens_(lex_template(name, *source_)) {}

  ParsedTemplates run() {
    ParsedTemplates out;
    out.main = new_tree(name_);
    while (peek().type != TokenType::EndOfInput) {
      if (peek().type == TokenType::LeftDelim) {
        std::size_t save = index_;
        next();
        if (peek_non_space().type == TokenType::Keyword && peek_non_space().text == "define") {
          next_non_space();
          out.definitions.push_back(parse_definition());
          continue;
        }
        index_ = save;
      }
      auto [node, terminator] = text_or_action();
      if (terminator) unexpected_terminator(*terminator);
      if (node) add_node(out.main, std::move(*node));
    }
    for (auto& d : definitions_) out.definitions.push_back(std::move(d));
    // Go rejects two non-empty definitions of one name in a single parse (across files, the
    // later one wins; see Engine::add_template).
    std::map<std::string, bool> seen;  // name -> non-empty
    for (const auto& d : out.definitions) {
      auto [it, inserted] = seen.emplace(d.name, !d.empty);
      if (!inserted && it->second && !d.empty)
        fail_at(d.root.empty() ? 0 : d.root.front().pos,
                "template: multiple definition of template \"" + d.name + "\"");
      it->second = it->second || !d.empty;
    }
    return out;
  }

 private:
  struct Terminator {
    std::string keyword;  // "end" or "else"
    std::size_t pos;
  };

  Tree new_tree(const std::string& tree_name) {
    Tree t;
    t.name = tree_name;
    t.parse_name = name_;
    t.source = source_;
    return t;
  }

  static void add_node(Tree& tree, Node node) {
    if (node.kind != Node::Kind::Text || node.text.find_first_not_of(" \t\r\n") != std::string::npos)
      tree.empty = false;
    tree.root.push_back(std::move(node));
  }

  [[noreturn]] void fail_at(std::size_t pos, const std::string& message) {
    auto [line, column] = line_and_column(*source_, pos);
    throw TemplateError::parse(name_, line, column, message);
  }

  static std::string describe(const Token& t) {
    switch (t.type) {
      case TokenType::EndOfInput:
        return "EOF";
      case TokenType::Keyword:
        return "<" + t.text + ">";
      case TokenType::RightDelim:
        return "\"}}\"";
      case TokenType::LeftDelim:
        return "\"{{\"";
      default: {
        std::string q = t.text.size() > 10 ? t.text.substr(0, 10) : t.text;
        return "\"" + q + "\"" + (t.text.size() > 10 ? "..." : "");
      }
    }
  }
  [[noreturn]] void unexpected(const Token& t, const std::string& context) {
    fail_at(t.pos, "unexpected " + describe(t) + " in " + context);
  }
  [[noreturn]] void unexpected_terminator(const Terminator& t) { fail_at(t.pos, "unexpected {{" + t.keyword + "}}"); }

  const Token& peek() const { return tokens_[index_]; }
  const Token& next() { return tokens_[index_ < tokens_.size() - 1 ? index_++ : index_]; }
  const Token& peek_non_space() {
    while (peek().type == TokenType::Space) next();
    return peek();
  }
  const Token& next_non_space() {
    peek_non_space();
    return next();
  }
  void expect(TokenType type, const std::string& context) {
    const Token& t = next_non_space();
    if (t.type != type) unexpected(t, context);
  }

  Tree parse_definition() {
    const Token& name_token = next_non_space();
    if (name_token.type != TokenType::String && name_token.type != TokenType::RawString)
      unexpected(name_token, "define clause");
    std::string def_name = string_value(name_token);
    expect(TokenType::RightDelim, "define clause");
    Tree tree = new_tree(def_name);
    auto saved_vars = vars_;
    vars_ = {"$"};
    while (true) {
      if (peek().type == TokenType::EndOfInput) fail_at(name_token.pos, "unexpected EOF");
      auto [node, terminator] = text_or_action();
      if (terminator) {
        if (terminator->keyword != "end") unexpected_terminator(*terminator);
        break;
      }
      if (node) add_node(tree, std::move(*node));
    }
    vars_ = std::move(saved_vars);
    return tree;
  }

  std::string string_value(const Token& t) {
    if (t.type == TokenType::RawString) return t.text.substr(1, t.text.size() - 2);
    auto s = unquote(t.text);
    if (!s) fail_at(t.pos, "invalid syntax: " + t.text);
    return *s;
  }

  // Returns a node, or the {{end}}/{{else}} that terminates the enclosing list.
  std::pair<std::optional<Node>, std::optional<Terminator>> text_or_action() {
    const Token& t = next();
    if (t.type == TokenType::Text) {
      Node n;
      n.kind = Node::Kind::Text;
      n.pos = t.pos;
      n.text = t.text;
      return {std::move(n), std::nullopt};
    }
    if (t.type == TokenType::LeftDelim) return action(t.pos);
    unexpected(t, "input");
  }

  std::pair<std::optional<Node>, std::optional<Terminator>> action(std::size_t delim_pos) {
    const Token& t = peek_non_space();
    if (t.type == TokenType::Keyword) {
      std::string keyword = t.text;
      std::size_t pos = t.pos;
      next();
      if (keyword == "end") {
        expect(TokenType::RightDelim, "end");
        return {std::nullopt, Terminator{"end", delim_pos}};
      }
      if (keyword == "else") return {std::nullopt, else_terminator(pos)};
      if (keyword == "if" || keyword == "with" || keyword == "range") return {control(keyword, pos), std::nullopt};
      if (keyword == "template" || keyword == "block") return {template_call(keyword, pos), std::nullopt};
      if (keyword == "break" || keyword == "continue") {
        if (range_depth_ == 0) fail_at(pos, "{{" + keyword + "}} outside {{range}}");
        expect(TokenType::RightDelim, "{{" + keyword + "}}");
        Node n;
        n.kind = keyword == "break" ? Node::Kind::Break : Node::Kind::Continue;
        n.pos = pos;
        n.context = "{{" + keyword + "}}";
        return {std::move(n), std::nullopt};
      }
      unexpected(t, "command");
    }
    Node n;
    n.kind = Node::Kind::Action;
    n.pos = t.pos;
    n.pipe = pipeline("command", TokenType::RightDelim);
    n.context = "{{" + n.pipe->text + "}}";
    return {std::move(n), std::nullopt};
  }

  Terminator else_terminator(std::size_t pos) {
    const Token& t = peek_non_space();
    if (t.type == TokenType::Keyword && (t.text == "if" || t.text == "with")) return Terminator{"else " + t.text, pos};
    expect(TokenType::RightDelim, "else");
    return Terminator{"else", pos};
  }

  // Parses a list up to {{end}} or {{else}}.
  std::pair<std::vector<Node>, Terminator> item_list(std::size_t start) {
    std::vector<Node> list;
    while (true) {
      if (peek_raw_eof()) fail_at(start, "unexpected EOF");
      auto [node, terminator] = text_or_action();
      if (terminator) return {std::move(list), *terminator};
      if (node) list.push_back(std::move(*node));
    }
  }
  bool peek_raw_eof() const { return peek().type == TokenType::EndOfInput; }

  Node control(const std::string& keyword, std::size_t pos) {
    // Bounded so that hostile input cannot exhaust the stack of this recursive parser.
    if (++nesting_ > 1000) fail_at(pos, "too many nested control structures");
    std::size_t var_mark = vars_.size();
    Node n;
    n.kind = keyword == "if" ? Node::Kind::If : keyword == "with" ? Node::Kind::With : Node::Kind::Range;
    n.pos = pos;
    n.pipe = pipeline(keyword, TokenType::RightDelim);
    if (n.kind == Node::Kind::Range) ++range_depth_;
    auto [body, terminator] = item_list(pos);
    if (n.kind == Node::Kind::Range) --range_depth_;
    n.body = std::move(body);
    if (terminator.keyword == "else if" || terminator.keyword == "else with") {
      std::string nested = terminator.keyword.substr(5);
      if (nested != keyword || keyword == "range") fail_at(terminator.pos, "unexpected {{" + terminator.keyword + "}}");
      const Token& kw = next_non_space();
      // "{{else if x}}" is "{{else}}{{if x}}...{{end}}" sharing the outer {{end}}.
      n.else_body.push_back(control(nested, kw.pos));
    } else if (terminator.keyword == "else") {
      auto [else_body, end] = item_list(pos);
      if (end.keyword != "end") fail_at(end.pos, "expected end; found {{" + end.keyword + "}}");
      n.else_body = std::move(else_body);
    }
    n.context = "{{" + keyword + " " + n.pipe->text + "}}";
    vars_.resize(var_mark);
    --nesting_;
    return n;
  }

  Node template_call(const std::string& keyword, std::size_t pos) {
    const Token& name_token = next_non_space();
    if (name_token.type != TokenType::String && name_token.type != TokenType::RawString)
      unexpected(name_token, keyword + " clause");
    Node n;
    n.kind = Node::Kind::Template;
    n.pos = name_token.pos;  // Go locates a {{template}} at its name
    n.text = string_value(name_token);
    if (peek_non_space().type != TokenType::RightDelim)
      n.pipe = pipeline(keyword + " clause", TokenType::RightDelim);
    else
      next();
    n.context = "{{template \"" + n.text + "\"" + (n.pipe ? " " + n.pipe->text : "") + "}}";
    if (keyword == "block") {
      // {{block "name" pipe}} body {{end}} defines "name" and calls it at once.
      Tree tree = new_tree(n.text);
      auto saved_vars = vars_;
      vars_ = {"$"};
      auto [body, terminator] = item_list(pos);
      if (terminator.keyword != "end") unexpected_terminator(terminator);
      vars_ = std::move(saved_vars);
      for (auto& b : body) add_node(tree, std::move(b));
      definitions_.push_back(std::move(tree));
    }
    return n;
  }

  std::shared_ptr<Pipeline> pipeline(const std::string& context, TokenType end) {
    auto pipe = std::make_shared<Pipeline>();
    pipe->pos = peek_non_space().pos;
    // Declarations: "$x :=", "$x =", and in range "$i, $v :=".
    if (peek_non_space().type == TokenType::Variable) {
      std::size_t save = index_;
      const Token& v = next();
      const Token& after = peek_non_space();
      if (after.type == TokenType::Declare || after.type == TokenType::Assign) {
        pipe->is_assign = after.type == TokenType::Assign;
        next();
        if (pipe->is_assign && !declared(v.text)) fail_at(v.pos, "undefined variable \"" + v.text + "\"");
        pipe->decl.push_back(v.text);
      } else if (after.type == TokenType::Comma) {
        next();
        pipe->decl.push_back(v.text);
        if (context != "range") fail_at(after.pos, "too many declarations in " + context);
        const Token& second = next_non_space();
        if (second.type != TokenType::Variable) fail_at(second.pos, "range can only initialize variables");
        const Token& op = next_non_space();
        if (op.type != TokenType::Declare && op.type != TokenType::Assign) unexpected(op, context);
        pipe->is_assign = op.type == TokenType::Assign;
        pipe->decl.push_back(second.text);
      } else {
        index_ = save;
      }
      if (!pipe->is_assign)
        for (const auto& d : pipe->decl) vars_.push_back(d);
    }
    while (true) {
      const Token& t = peek_non_space();
      if (t.type == end) {
        next();
        break;
      }
      switch (t.type) {
        case TokenType::Bool:
        case TokenType::Char:
        case TokenType::Dot:
        case TokenType::Field:
        case TokenType::Identifier:
        case TokenType::Number:
        case TokenType::Nil:
        case TokenType::RawString:
        case TokenType::String:
        case TokenType::Variable:
        case TokenType::LeftParen:
          pipe->commands.push_back(command());
          break;
        default:
          unexpected(t, context);
      }
    }
    if (pipe->commands.empty()) fail_at(pipe->pos, "missing value for " + context);
    for (std::size_t i = 1; i < pipe->commands.size(); ++i) {
      auto k = pipe->commands[i].args[0].kind;
      if (k == Operand::Kind::Bool || k == Operand::Kind::Dot || k == Operand::Kind::Nil ||
          k == Operand::Kind::Number || k == Operand::Kind::String)
        fail_at(pipe->commands[i].pos, "non executable command in pipeline stage " + std::to_string(i + 1));
    }
    std::string text;
    for (std::size_t i = 0; i < pipe->decl.size(); ++i) text += (i ? ", " : "") + pipe->decl[i];
    if (!pipe->decl.empty()) text += pipe->is_assign ? " = " : " := ";
    for (std::size_t i = 0; i < pipe->commands.size(); ++i) text += (i ? " | " : "") + pipe->commands[i].text;
    pipe->text = std::move(text);
    return pipe;
  }

  bool declared(const std::string& var) const {
    for (const auto& v : vars_)
      if (v == var) return true;
    return false;
  }

  Command command() {
    Command cmd;
    cmd.pos = peek_non_space().pos;
    while (true) {
      peek_non_space();
      if (auto op = operand()) cmd.args.push_back(std::move(*op));
      const Token& t = peek();
      if (t.type == TokenType::Space) {
        next();
        continue;
      }
      if (t.type == TokenType::RightDelim || t.type == TokenType::RightParen) break;
      if (t.type == TokenType::Pipe) {
        next();
        break;
      }
      unexpected(t, "operand");
    }
    if (cmd.args.empty()) fail_at(cmd.pos, "empty command");
    for (std::size_t i = 0; i < cmd.args.size(); ++i) {
      if (i) cmd.text += ' ';
      cmd.text += cmd.args[i].text;
    }
    return cmd;
  }

  std::optional<Operand> operand() {
    auto node = term();
    if (!node) return std::nullopt;
    if (peek().type != TokenType::Field) return node;
    std::size_t chain_pos = peek().pos;
    std::vector<std::string> fields;
    std::string suffix;
    while (peek().type == TokenType::Field) {
      fields.push_back(peek().text.substr(1));
      suffix += peek().text;
      next();
    }
    switch (node->kind) {
      case Operand::Kind::Field:
      case Operand::Kind::Variable:
        // Go repositions a field chain at its second element; errors report that column.
        node->pos = chain_pos;
        for (auto& f : fields) node->fields.push_back(std::move(f));
        node->text += suffix;
        return node;
      case Operand::Kind::Bool:
      case Operand::Kind::String:
      case Operand::Kind::Number:
      case Operand::Kind::Nil:
      case Operand::Kind::Dot:
        fail_at(chain_pos, "unexpected . after term \"" + node->text + "\"");
      default: {
        Operand chain;
        chain.kind = Operand::Kind::Chain;
        chain.pos = chain_pos;
        chain.fields = std::move(fields);
        chain.text = node->text + suffix;
        chain.base = std::make_shared<Operand>(std::move(*node));
        return chain;
      }
    }
  }

  std::optional<Operand> term() {
    const Token& t = peek_non_space();
    Operand op;
    op.pos = t.pos;
    op.text = t.text;
    switch (t.type) {
      case TokenType::Identifier:
        if (!is_function_(t.text)) fail_at(t.pos, "function \"" + t.text + "\" not defined");
        op.kind = Operand::Kind::Identifier;
        op.name = t.text;
        break;
      case TokenType::Dot:
        op.kind = Operand::Kind::Dot;
        break;
      case TokenType::Nil:
        op.kind = Operand::Kind::Nil;
        break;
      case TokenType::Variable:
        if (!declared(t.text)) fail_at(t.pos, "undefined variable \"" + t.text + "\"");
        op.kind = Operand::Kind::Variable;
        op.name = t.text;
        break;
      case TokenType::Field:
        op.kind = Operand::Kind::Field;
        op.fields.push_back(t.text.substr(1));
        break;
      case TokenType::Bool:
        op.kind = Operand::Kind::Bool;
        op.constant = Value(t.text == "true");
        break;
      case TokenType::Char: {
        auto s = unquote(t.text);
        if (!s) fail_at(t.pos, "malformed character constant: " + t.text);
        op.kind = Operand::Kind::Number;
        op.constant = Value::integer(first_code_point(*s));
        break;
      }
      case TokenType::Number: {
        auto v = parse_number(t.text);
        if (!v) fail_at(t.pos, "bad number syntax: \"" + t.text + "\"");
        op.kind = Operand::Kind::Number;
        op.constant = *v;
        break;
      }
      case TokenType::String:
      case TokenType::RawString:
        op.kind = Operand::Kind::String;
        op.constant = Value(string_value(t));
        break;
      case TokenType::LeftParen: {
        next();
        op.kind = Operand::Kind::Pipe;
        op.pipe = pipeline("parenthesized pipeline", TokenType::RightParen);
        op.text = "(" + op.pipe->text + ")";
        return op;
      }
      default:
        return std::nullopt;
    }
    next();
    return op;
  }

  const std::string& name_;
  std::shared_ptr<const std::string> source_;
  const std::function<bool(std::string_view)>& is_function_;
  std::vector<Token> tokens_;
  std::size_t index_ = 0;
  std::vector<std::string> vars_{"$"};
  int range_depth_ = 0;
  int nesting_ = 0;
  std::vector<Tree> definitions_;
};

}  // namespace

ParsedTemplates parse_template(const std::string& name, std::shared_ptr<const std::string> source,
                               const std::function<bool(std::string_view)>& is_function) {
  return Parser(name, std::move(source), is_function).run();
}

}  // namespace kb::chart
