#include "pkg/chart/template_engine.hpp"

#include "pkg/chart/go_format.hpp"
#include "pkg/chart/template_lexer.hpp"
#include "pkg/chart/template_parser.hpp"

#include <memory>
#include <optional>
#include <random>

namespace kb::chart {

namespace {
using TreeMap = std::map<std::string, std::shared_ptr<const Tree>, std::less<>>;

void replace_all(std::string& s, std::string_view from, std::string_view to) {
  for (std::size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size()))
    s.replace(pos, from.size(), to);
}

// Adds parsed trees to a set the way Go's AddParseTree does: an empty body never replaces a
// non-empty one, so a file of only {{define}}s does not wipe a template of the same name.
void add_trees(TreeMap& trees, ParsedTemplates parsed) {
  auto add = [&](Tree tree) {
    auto it = trees.find(tree.name);
    if (it != trees.end() && tree.empty && !it->second->empty) return;
    std::string name = tree.name;
    trees[name] = std::make_shared<const Tree>(std::move(tree));
  };
  add(std::move(parsed.main));
  for (auto& d : parsed.definitions) add(std::move(d));
}
}  // namespace

class Executor : public CallContext {
 public:
  // `local` holds templates defined by tpl strings; they are visible to this executor and the ones it
  // starts, on top of the engine's set.
  Executor(Engine& engine, std::shared_ptr<TreeMap> local, int depth)
      : engine_(engine), local_(std::move(local)), depth_(depth) {}

  std::string execute(const Tree& tree, const Value& dot) {
    std::string out;
    out_ = &out;
    tree_ = &tree;
    vars_.clear();
    vars_.emplace_back("$", dot);
    walk(tree.root, dot);
    return out;
  }

  const Tree* lookup(std::string_view name) const {
    if (local_) {
      auto it = local_->find(name);
      if (it != local_->end()) return it->second.get();
    }
    auto it = engine_.trees_.find(name);
    return it == engine_.trees_.end() ? nullptr : it->second.get();
  }

  std::string include(const std::string& name, const Value& data) override {
    if (depth_ >= engine_.options_.max_include_depth)
      throw FunctionError("rendering template has a nested reference name: " + name + ": unable to execute template");
    const Tree* tree = lookup(name);
    if (!tree) throw FunctionError("template: no template \"" + name + "\" associated with template \"gotpl\"");
    Executor nested(engine_, local_, depth_ + 1);
    return nested.execute(*tree, data);
  }

  std::string tpl(const std::string& text, const Value& data) override {
    if (depth_ >= engine_.options_.max_include_depth)
      throw FunctionError("rendering template has a nested reference name: tpl: unable to execute template");
    auto local = std::make_shared<TreeMap>(local_ ? *local_ : TreeMap{});
    // Helm parses the string as a new template named after its root template set, "gotpl".
    std::string name = "gotpl";
    auto source = std::make_shared<const std::string>(text);
    ParsedTemplates parsed;
    try {
      parsed = parse_template(name, source, [this](std::string_view f) { return engine_.functions_.contains(f); });
    } catch (const TemplateError& e) {
      throw FunctionError("cannot parse template " + go_quote(text) + ": " + e.what());
    }
    Tree main = std::move(parsed.main);
    for (auto& d : parsed.definitions) (*local)[d.name] = std::make_shared<const Tree>(std::move(d));
    Executor nested(engine_, local, depth_ + 1);
    std::string out;
    try {
      out = nested.execute(main, data);
    } catch (const TemplateError& e) {
      throw FunctionError("error during tpl function execution for " + go_quote(text) + ": " + e.what(), e.failure());
    }
    replace_all(out, "<no value>", "");
    return out;
  }

  std::uint64_t random_below(std::uint64_t bound) override {
    return engine_.options_.random ? engine_.options_.random(bound) : engine_.default_random_(bound);
  }
  std::chrono::system_clock::time_point now() override {
    return engine_.options_.clock ? engine_.options_.clock() : std::chrono::system_clock::now();
  }
  std::size_t max_generated_size() const override { return engine_.options_.max_output_bytes; }

 private:
  enum class Flow { Normal, Break, Continue };

  [[noreturn]] void fail(std::size_t pos, const std::string& context, const std::string& message,
                         std::string failure = "") {
    auto [line, column] = line_and_column(*tree_->source, pos);
    auto error = TemplateError::execute(tree_->parse_name, line, column, tree_->name, context, message);
    if (!failure.empty()) error.set_failure(std::move(failure));
    throw error;
  }

  Flow walk(const std::vector<Node>& list, const Value& dot) {
    for (const auto& node : list) {
      Flow flow = walk_node(node, dot);
      if (flow != Flow::Normal) return flow;
    }
    return Flow::Normal;
  }

  // One more step of the render (an action, a loop iteration, a function call).
  void step(std::size_t pos, const std::string& context) {
    if (++engine_.steps_ > engine_.options_.max_steps)
      fail(pos, context,
           "the render took more than " + std::to_string(engine_.options_.max_steps) +
               " steps (actions, loop iterations, function calls), the template engine's limit");
  }

  // Appends to this template's output within the bound.
  void emit(std::size_t pos, const std::string& context, std::string_view text) {
    if (out_->size() + text.size() > engine_.options_.max_output_bytes)
      fail(pos, context,
           "the output would be larger than " + std::to_string(engine_.options_.max_output_bytes) +
               " bytes, the template engine's limit");
    *out_ += text;
  }

  Flow walk_node(const Node& node, const Value& dot) {
    step(node.pos, node.context);
    switch (node.kind) {
      case Node::Kind::Text:
        emit(node.pos, node.context, node.text);
        return Flow::Normal;
      case Node::Kind::Action: {
        Value v = eval_pipeline(dot, *node.pipe);
        if (node.pipe->decl.empty()) print(node, v);
        return Flow::Normal;
      }
      case Node::Kind::If:
      case Node::Kind::With: {
        std::size_t mark = vars_.size();
        Value v = eval_pipeline(dot, *node.pipe);
        Flow flow;
        if (is_true(v))
          flow = walk(node.body, node.kind == Node::Kind::With ? v : dot);
        else
          flow = walk(node.else_body, dot);
        vars_.resize(mark);
        return flow;
      }
      case Node::Kind::Range:
        return walk_range(node, dot);
      case Node::Kind::Template: {
        const Tree* tree = lookup(node.text);
        if (!tree) fail(node.pos, node.context, "template " + go_quote(node.text) + " not defined");
        if (depth_ >= engine_.options_.max_include_depth)
          fail(node.pos, node.context, "exceeded maximum template depth (" + std::to_string(depth_) + ")");
        Value new_dot = node.pipe ? eval_pipeline(dot, *node.pipe) : Value();
        Executor nested(engine_, local_, depth_ + 1);
        emit(node.pos, node.context, nested.execute(*tree, new_dot));
        return Flow::Normal;
      }
      case Node::Kind::Break:
        return Flow::Break;
      case Node::Kind::Continue:
        return Flow::Continue;
    }
    return Flow::Normal;
  }

  Flow walk_range(const Node& node, const Value& dot) {
    std::size_t mark = vars_.size();
    Value v = eval_pipeline(dot, *node.pipe);
    const auto& decl = node.pipe->decl;
    std::size_t body_mark = vars_.size();
    auto iteration = [&](const Value& index, const Value& elem) -> Flow {
      step(node.pos, node.context);
      if (!decl.empty()) {
        if (node.pipe->is_assign) {
          set_var(decl[0], decl.size() > 1 ? index : elem);
          if (decl.size() > 1) set_var(decl[1], elem);
        } else if (decl.size() > 1) {
          vars_[body_mark - 2].second = index;
          vars_[body_mark - 1].second = elem;
        } else {
          vars_[body_mark - 1].second = elem;
        }
      }
      Flow flow = walk(node.body, elem);
      vars_.resize(body_mark);
      return flow;
    };
    bool ran = false;
    switch (v.kind()) {
      case Value::Kind::Slice: {
        const List items = v.as_list();  // a copy: the body may mutate the list it ranges over
        for (std::size_t i = 0; i < items.size(); ++i) {
          ran = true;
          if (iteration(Value::integer(static_cast<std::int64_t>(i)), items[i]) == Flow::Break) break;
        }
        break;
      }
      case Value::Kind::Map: {
        const Dict items = v.as_dict();
        for (const auto& [k, e] : items) {
          ran = true;
          if (iteration(Value(k), e) == Flow::Break) break;
        }
        break;
      }
      case Value::Kind::Int:
      case Value::Kind::Int64: {
        if (decl.size() > 1) {
          const Operand& last = last_evaluated(node.pipe->commands.back());
          fail(last.pos, last.text, "can't use " + format_value(v) + " to iterate over more than one variable");
        }
        for (std::int64_t i = 0; i < v.as_integer(); ++i) {
          ran = true;
          Value elem = v.kind() == Value::Kind::Int ? Value::integer(i) : Value::int64(i);
          if (iteration(Value(), elem) == Flow::Break) break;
        }
        break;
      }
      case Value::Kind::Nil:
        break;
      default: {
        const Operand& last = last_evaluated(node.pipe->commands.back());
        fail(last.pos, last.text, "range can't iterate over " + format_value(v));
      }
    }
    vars_.resize(mark);
    if (!ran) {
      Flow flow = walk(node.else_body, dot);
      vars_.resize(mark);
      return flow;
    }
    return Flow::Normal;
  }

  // Go reports some errors at the node it evaluated last: the innermost last argument.
  static const Operand& last_evaluated(const Command& cmd) {
    const Operand& last = cmd.args.back();
    if (last.kind == Operand::Kind::Pipe && !last.pipe->commands.empty())
      return last_evaluated(last.pipe->commands.back());
    return last;
  }

  void print(const Node& node, const Value& v) {
    emit(node.pos, node.context, v.is_nil() ? std::string("<no value>") : format_value(v));
  }

  void set_var(const std::string& name, const Value& v) {
    for (auto it = vars_.rbegin(); it != vars_.rend(); ++it) {
      if (it->first == name) {
        it->second = v;
        return;
      }
    }
    vars_.emplace_back(name, v);
  }

  const Value& var(const Operand& op) {
    for (auto it = vars_.rbegin(); it != vars_.rend(); ++it)
      if (it->first == op.name) return it->second;
    fail(op.pos, op.text, "undefined variable: " + op.name);
  }

  Value eval_pipeline(const Value& dot, const Pipeline& pipe) {
    Value value;
    bool has_final = false;
    for (const auto& cmd : pipe.commands) {
      value = eval_command(dot, cmd, has_final ? &value : nullptr);
      has_final = true;
    }
    for (const auto& name : pipe.decl) {
      if (pipe.is_assign)
        set_var(name, value);
      else
        vars_.emplace_back(name, value);
    }
    return value;
  }

  void not_a_function(const Command& cmd, const Value* final) {
    const Operand& first = cmd.args[0];
    if (cmd.args.size() > 1 || final) fail(first.pos, first.text, "can't give argument to non-function " + first.text);
  }

  Value eval_command(const Value& dot, const Command& cmd, const Value* final) {
    const Operand& first = cmd.args[0];
    switch (first.kind) {
      case Operand::Kind::Field:
        return eval_field_chain(dot, first, first.fields, &cmd, final);
      case Operand::Kind::Chain: {
        Value base = eval_arg(dot, *first.base);
        return eval_field_chain(base, chain_location(first), first.fields, &cmd, final);
      }
      case Operand::Kind::Identifier:
        return call_function(dot, first, &cmd, final);
      case Operand::Kind::Pipe:
        not_a_function(cmd, final);
        return eval_pipeline(dot, *first.pipe);
      case Operand::Kind::Variable: {
        Value v = var(first);
        if (first.fields.empty()) {
          not_a_function(cmd, final);
          return v;
        }
        return eval_field_chain(v, first, first.fields, &cmd, final);
      }
      case Operand::Kind::Nil:
        fail(first.pos, cmd.text, "nil is not a command");
      case Operand::Kind::Dot:
        not_a_function(cmd, final);
        return dot;
      default:
        not_a_function(cmd, final);
        return first.constant;
    }
  }

  // Go reports errors in (x).field at x; a parenthesised pipeline is quoted without its parentheses.
  static Operand chain_location(const Operand& chain) {
    Operand where;
    const Operand& base = *chain.base;
    where.pos = base.kind == Operand::Kind::Pipe ? base.pipe->pos : base.pos;
    where.text = base.kind == Operand::Kind::Pipe ? base.pipe->text : base.text;
    return where;
  }

  Value eval_arg(const Value& dot, const Operand& op) {
    switch (op.kind) {
      case Operand::Kind::Field:
        return eval_field_chain(dot, op, op.fields, nullptr, nullptr);
      case Operand::Kind::Variable: {
        Value v = var(op);
        return op.fields.empty() ? v : eval_field_chain(v, op, op.fields, nullptr, nullptr);
      }
      case Operand::Kind::Chain: {
        Value base = eval_arg(dot, *op.base);
        return eval_field_chain(base, chain_location(op), op.fields, nullptr, nullptr);
      }
      case Operand::Kind::Identifier:
        return call_function(dot, op, nullptr, nullptr);
      case Operand::Kind::Pipe:
        return eval_pipeline(dot, *op.pipe);
      case Operand::Kind::Dot:
        return dot;
      case Operand::Kind::Nil:
        return Value();
      default:
        return op.constant;
    }
  }

  // Applies .a.b.c to `receiver`; the last field receives the command's arguments when it is a method.
  Value eval_field_chain(const Value& receiver, const Operand& op, const std::vector<std::string>& fields,
                         const Command* cmd, const Value* final) {
    Value current = receiver;
    for (std::size_t i = 0; i < fields.size(); ++i) {
      bool last = i + 1 == fields.size();
      current = eval_field(current, fields[i], op, last ? cmd : nullptr, last ? final : nullptr, i == 0);
    }
    return current;
  }

  Value eval_field(const Value& receiver, const std::string& name, const Operand& op, const Command* cmd,
                   const Value* final, bool at_start) {
    bool has_args = (cmd && cmd->args.size() > 1) || final;
    switch (receiver.kind()) {
      case Value::Kind::Nil:
        // Go: a missing value held in a variable or dot yields nothing; a nil met inside a chain
        // (.Values.missing.key) is a nil interface, and evaluating a field of it fails.
        if (at_start) return Value();
        fail(op.pos, op.text, "nil pointer evaluating interface {}." + name);
      case Value::Kind::Map: {
        if (has_args) fail(op.pos, op.text, name + " is not a method but has arguments");
        const auto& d = receiver.as_dict();
        auto it = d.find(name);
        return it == d.end() ? Value() : it->second;
      }
      case Value::Kind::Native: {
        const Object& object = receiver.as_object();
        if (object.has_method(name)) {
          std::vector<Value> args;
          if (cmd)
            for (std::size_t i = 1; i < cmd->args.size(); ++i) args.push_back(eval_arg(receiver, cmd->args[i]));
          if (final) args.push_back(*final);
          try {
            return object.call_method(name, args);
          } catch (const ArgumentError& e) {
            fail(op.pos, op.text, e.what());
          } catch (const std::exception& e) {
            fail(op.pos, op.text, "error calling " + name + ": " + e.what());
          }
        }
        if (auto field = object.field(name)) {
          if (has_args) fail(op.pos, op.text, name + " has arguments but cannot be invoked as function");
          return *field;
        }
        fail(op.pos, op.text, "can't evaluate field " + name + " in type " + object.type_name());
      }
      default:
        fail(op.pos, op.text,
             "can't evaluate field " + name + " in type " + (at_start ? go_type_name(receiver) : "interface {}"));
    }
  }

  Value call_function(const Value& dot, const Operand& ident, const Command* cmd, const Value* final) {
    const std::string& name = ident.name;
    std::size_t arg_count = (cmd ? cmd->args.size() - 1 : 0) + (final ? 1 : 0);
    std::size_t pos = cmd ? cmd->pos : ident.pos;
    const std::string& context = cmd ? cmd->text : ident.text;
    if (name == "and" || name == "or") {
      // Go's and/or evaluate their arguments lazily and return one of them.
      if (arg_count == 0) fail(ident.pos, ident.text, "wrong number of args for " + name + ": want at least 1 got 0");
      bool want = name == "or";
      Value v;
      std::size_t direct = cmd ? cmd->args.size() - 1 : 0;
      for (std::size_t i = 0; i < arg_count; ++i) {
        v = i < direct ? eval_arg(dot, cmd->args[i + 1]) : *final;
        if (is_true(v) == want) return v;
      }
      return v;
    }
    const FunctionSpec* spec = engine_.functions_.find(name);
    if (!spec) fail(ident.pos, ident.text, go_quote(name) + " is not a defined function");
    // Go checks the argument count before evaluating any argument.
    int n = static_cast<int>(arg_count);
    if (spec->max_args >= 0 && spec->min_args == spec->max_args && n != spec->min_args)
      fail(ident.pos, ident.text,
           "wrong number of args for " + name + ": want " + std::to_string(spec->min_args) + " got " +
               std::to_string(n));
    if (n < spec->min_args)
      fail(ident.pos, ident.text,
           "wrong number of args for " + name + ": want at least " + std::to_string(spec->min_args) + " got " +
               std::to_string(n));
    if (spec->max_args >= 0 && n > spec->max_args)
      fail(ident.pos, ident.text,
           "wrong number of args for " + name + ": want at most " + std::to_string(spec->max_args) + " got " +
               std::to_string(n));
    std::vector<Value> args;
    args.reserve(arg_count);
    if (cmd)
      for (std::size_t i = 1; i < cmd->args.size(); ++i) args.push_back(eval_arg(dot, cmd->args[i]));
    if (final) args.push_back(*final);
    step(pos, context);
    try {
      Value result = spec->call(*this, args);
      if (result.kind() == Value::Kind::String) check_generated_size(*this, result.as_string().size());
      return result;
    } catch (const ArgumentError& e) {
      argument_error(ident, cmd, e);
    } catch (const FunctionError& e) {
      fail(pos, context, "error calling " + name + ": " + e.what(), e.failure());
    } catch (const TemplateError& e) {
      fail(pos, context, "error calling " + name + ": " + e.what(), e.failure());
    } catch (const std::exception& e) {
      fail(pos, context, "error calling " + name + ": " + e.what());
    }
  }

  // Go checks argument types before the call and reports them at the argument: a literal of the
  // wrong kind as "expected integer; found "x"", a computed value as "wrong type for value; ...".
  [[noreturn]] void argument_error(const Operand& ident, const Command* cmd, const ArgumentError& e) {
    std::size_t direct = cmd ? cmd->args.size() - 1 : 0;
    if (e.index() >= direct) fail(ident.pos, ident.text, e.what());
    const Operand& arg = cmd->args[e.index() + 1];
    switch (arg.kind) {
      case Operand::Kind::Nil:
        fail(arg.pos, arg.text, "cannot assign nil to " + e.expected());
      case Operand::Kind::String:
      case Operand::Kind::Number:
      case Operand::Kind::Bool: {
        if (e.expected() != "string" && e.expected() != "int" && e.expected() != "bool")
          fail(arg.pos, arg.text, "can't handle " + arg.text + " for arg of type " + e.expected());
        std::string expected = e.expected() == "int" ? "integer" : e.expected();
        fail(arg.pos, arg.text, "expected " + expected + "; found " + arg.text);
      }
      case Operand::Kind::Pipe:
        fail(arg.pipe->pos, arg.pipe->text, e.what());
      default:
        fail(arg.pos, arg.text, e.what());
    }
  }

  Engine& engine_;
  std::shared_ptr<TreeMap> local_;
  int depth_;
  const Tree* tree_ = nullptr;
  std::string* out_ = nullptr;
  std::vector<std::pair<std::string, Value>> vars_;
};

Engine::Engine(EngineOptions options) : Engine(std::move(options), make_helm_function_registry()) {}

Engine::Engine(EngineOptions options, FunctionRegistry functions)
    : options_(std::move(options)), functions_(std::move(functions)) {
  // Seeded on first use: most charts never ask for randomness, and seeding reads the OS entropy pool.
  auto generator = std::make_shared<std::optional<std::mt19937_64>>();
  default_random_ = [generator](std::uint64_t bound) -> std::uint64_t {
    if (!*generator) generator->emplace(std::random_device{}());
    return bound == 0 ? 0 : std::uniform_int_distribution<std::uint64_t>(0, bound - 1)(**generator);
  };
}

void Engine::add_template(const std::string& name, std::string text) {
  auto source = std::make_shared<const std::string>(std::move(text));
  add_trees(trees_, parse_template(name, source, [this](std::string_view f) { return functions_.contains(f); }));
}

std::string Engine::render(const std::string& name, const Value& data) {
  auto it = trees_.find(name);
  if (it == trees_.end())
    throw TemplateError::execute(name, 0, 0, name, "", "template " + go_quote(name) + " not defined");
  Executor executor(*this, nullptr, 0);
  steps_ = 0;
  std::string out = executor.execute(*it->second, data);
  replace_all(out, "<no value>", "");
  return out;
}

}  // namespace kb::chart
