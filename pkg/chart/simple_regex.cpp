#include "pkg/chart/simple_regex.hpp"

#include <bitset>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace kb::chart {
namespace {

// A Thompson NFA: search is a question about the pattern's language, so simulating the automaton
// gives exactly std::regex_search's yes or no, in time linear in the text.
struct State {
  enum Kind { Set, Split, Begin, End, Match } kind;
  std::bitset<256> set;  // for Set: the bytes it accepts
  int out = -1;
  int out2 = -1;  // for Split
};

struct Fragment {
  int start;
  std::vector<std::pair<int, int>> outs;  // (state, 0 for out / 1 for out2) still to be patched
};

class Compiler {
 public:
  explicit Compiler(std::string_view pattern) : p_(pattern) {}

  // False when the pattern is outside the subset (or invalid).
  bool compile() {
    Fragment f = alternation();
    if (!ok_ || i_ != p_.size()) return false;
    patch(f, add({State::Match, {}, -1, -1}));
    start_ = f.start;
    return ok_;
  }

  bool search(std::string_view text) const {
    std::vector<int> current, next;
    std::vector<std::size_t> seen(states_.size(), static_cast<std::size_t>(-1));
    bool matched = false;
    for (std::size_t pos = 0; pos <= text.size() && !matched; ++pos) {
      // A match may start at every position: add the start state to what is already running.
      add_closure(start_, pos, text.size(), current, seen, matched);
      if (matched || pos == text.size()) break;
      auto c = static_cast<unsigned char>(text[pos]);
      next.clear();
      for (int s : current)
        if (states_[static_cast<std::size_t>(s)].set.test(c))
          add_closure(states_[static_cast<std::size_t>(s)].out, pos + 1, text.size(), next, seen, matched);
      current.swap(next);
    }
    return matched;
  }

 private:
  static constexpr int kMaxRepeat = 100;
  static constexpr std::size_t kMaxStates = 10000;

  // Follows split and assertion states from `s` at text position `pos`; collects Set states.
  void add_closure(int s, std::size_t pos, std::size_t size, std::vector<int>& into, std::vector<std::size_t>& seen,
                   bool& matched) const {
    // `seen` marks states visited at this position (positions only grow, so no clearing is needed).
    std::vector<int> stack{s};
    while (!stack.empty()) {
      int t = stack.back();
      stack.pop_back();
      auto ti = static_cast<std::size_t>(t);
      if (seen[ti] == pos) continue;
      seen[ti] = pos;
      const State& st = states_[ti];
      switch (st.kind) {
        case State::Set:
          into.push_back(t);
          break;
        case State::Match:
          matched = true;
          break;
        case State::Split:
          stack.push_back(st.out2);
          stack.push_back(st.out);
          break;
        case State::Begin:
          if (pos == 0) stack.push_back(st.out);
          break;
        case State::End:
          if (pos == size) stack.push_back(st.out);
          break;
      }
    }
  }

  int add(State s) {
    if (states_.size() >= kMaxStates) ok_ = false;
    states_.push_back(std::move(s));
    return static_cast<int>(states_.size() - 1);
  }

  void patch(const Fragment& f, int target) {
    for (auto [s, which] : f.outs)
      (which ? states_[static_cast<std::size_t>(s)].out2 : states_[static_cast<std::size_t>(s)].out) = target;
  }

  Fragment fail() {
    ok_ = false;
    int s = add({State::Split, {}, -1, -1});
    return {s, {{s, 0}, {s, 1}}};
  }

  Fragment empty() {
    int s = add({State::Split, {}, -1, -1});
    states_[static_cast<std::size_t>(s)].kind = State::Split;
    // A split whose two exits lead to the same place is an epsilon move.
    return {s, {{s, 0}, {s, 1}}};
  }

  bool at(char c) const { return i_ < p_.size() && p_[i_] == c; }

  Fragment alternation() {
    Fragment left = sequence();
    while (ok_ && at('|')) {
      ++i_;
      Fragment right = sequence();
      int s = add({State::Split, {}, left.start, right.start});
      Fragment both{s, std::move(left.outs)};
      both.outs.insert(both.outs.end(), right.outs.begin(), right.outs.end());
      left = std::move(both);
    }
    return left;
  }

  Fragment sequence() {
    Fragment whole = empty();
    while (ok_ && i_ < p_.size() && !at('|') && !at(')')) {
      Fragment next = repeated();
      patch(whole, next.start);
      whole.outs = std::move(next.outs);
    }
    return whole;
  }

  // Reads a quantifier at i_, if any: {min, max} with max -1 for unbounded.
  bool quantifier(int& min, int& max) {
    if (at('*')) return ++i_, min = 0, max = -1, true;
    if (at('+')) return ++i_, min = 1, max = -1, true;
    if (at('?')) return ++i_, min = 0, max = 1, true;
    if (!at('{')) return false;
    std::size_t j = i_ + 1;
    auto number = [&](int& n) {
      std::size_t from = j;
      n = 0;
      while (j < p_.size() && p_[j] >= '0' && p_[j] <= '9' && j - from < 4) n = n * 10 + (p_[j++] - '0');
      return j > from && !(j < p_.size() && p_[j] >= '0' && p_[j] <= '9');
    };
    if (!number(min)) return ok_ = false;
    max = min;
    if (j < p_.size() && p_[j] == ',') {
      ++j;
      if (j < p_.size() && p_[j] == '}')
        max = -1;
      else if (!number(max))
        return ok_ = false;
    }
    if (j >= p_.size() || p_[j] != '}') return ok_ = false;
    if ((max != -1 && max < min) || min > kMaxRepeat || max > kMaxRepeat) return ok_ = false;
    i_ = j + 1;
    return true;
  }

  Fragment repeated() {
    std::size_t atom_start = i_;
    bool assertion = at('^') || at('$');
    Fragment first = atom();
    if (!ok_) return first;
    std::size_t atom_end = i_;
    int min = 1, max = 1;
    if (!quantifier(min, max)) return first;
    if (!ok_ || assertion) return fail();
    // A second quantifier ("a**", or a lazy "a*?") is left to std::regex.
    if (at('*') || at('+') || at('?') || at('{')) return fail();
    std::size_t after = i_;
    // Builds one more copy of the atom by parsing its text again.
    auto copy = [&]() {
      i_ = atom_start;
      Fragment f = atom();
      i_ = atom_end;
      return f;
    };
    Fragment whole = empty();
    auto append = [&](Fragment f) {
      patch(whole, f.start);
      whole.outs = std::move(f.outs);
    };
    bool used_first = false;
    auto next_copy = [&]() {
      if (!used_first) {
        used_first = true;
        return std::move(first);
      }
      return copy();
    };
    for (int k = 0; k < min; ++k) append(next_copy());
    if (max == -1) {
      Fragment body = next_copy();
      int s = add({State::Split, {}, body.start, -1});
      patch(body, s);
      append({s, {{s, 1}}});
    } else {
      for (int k = min; k < max; ++k) {
        Fragment body = next_copy();
        int s = add({State::Split, {}, body.start, -1});
        Fragment optional{s, std::move(body.outs)};
        optional.outs.emplace_back(s, 1);
        append(std::move(optional));
      }
    }
    i_ = after;
    return whole;
  }

  Fragment set(std::bitset<256> bytes) {
    int s = add({State::Set, bytes, -1, -1});
    return {s, {{s, 0}}};
  }

  static std::bitset<256> range(unsigned char from, unsigned char to) {
    std::bitset<256> out;
    for (unsigned c = from; c <= to; ++c) out.set(c);
    return out;
  }

  // \d \w \s and their complements, or an empty optional for other letters.
  static bool class_escape(char c, std::bitset<256>& out) {
    switch (c) {
      case 'd':
        out = range('0', '9');
        return true;
      case 'w':
        out = range('0', '9') | range('a', 'z') | range('A', 'Z');
        out.set('_');
        return true;
      case 's':
        out.reset();
        for (char s : {' ', '\t', '\n', '\v', '\f', '\r'}) out.set(static_cast<unsigned char>(s));
        return true;
      case 'D':
        class_escape('d', out);
        out.flip();
        return true;
      case 'W':
        class_escape('w', out);
        out.flip();
        return true;
      case 'S':
        class_escape('s', out);
        out.flip();
        return true;
      default:
        return false;
    }
  }

  // The byte an escape such as "\." or "\n" stands for; false for other escapes.
  static bool char_escape(char c, unsigned char& out) {
    switch (c) {
      case 'n':
        out = '\n';
        return true;
      case 't':
        out = '\t';
        return true;
      case 'r':
        out = '\r';
        return true;
      case 'f':
        out = '\f';
        return true;
      case 'v':
        out = '\v';
        return true;
      default:
        if (std::string_view("^$\\.*+?()[]{}|/-").find(c) != std::string_view::npos) {
          out = static_cast<unsigned char>(c);
          return true;
        }
        return false;
    }
  }

  Fragment atom() {
    if (i_ >= p_.size()) return fail();
    char c = p_[i_];
    if (static_cast<unsigned char>(c) >= 0x80 || static_cast<unsigned char>(c) < 0x20) return fail();
    switch (c) {
      case '^':
      case '$': {
        ++i_;
        int s = add({c == '^' ? State::Begin : State::End, {}, -1, -1});
        return {s, {{s, 0}}};
      }
      case '.': {
        ++i_;
        std::bitset<256> any;
        any.set();
        any.reset('\n');
        any.reset('\r');
        return set(any);
      }
      case '(': {
        ++i_;
        if (at('?')) {
          if (i_ + 1 < p_.size() && p_[i_ + 1] == ':')
            i_ += 2;
          else
            return fail();  // lookahead and the like
        }
        Fragment inner = alternation();
        if (!ok_ || !at(')')) return fail();
        ++i_;
        return inner;
      }
      case '[':
        return bracket();
      case '\\': {
        if (i_ + 1 >= p_.size()) return fail();
        char e = p_[i_ + 1];
        i_ += 2;
        std::bitset<256> bytes;
        if (class_escape(e, bytes)) return set(bytes);
        unsigned char byte;
        if (char_escape(e, byte)) {
          bytes.set(byte);
          return set(bytes);
        }
        return fail();
      }
      case ')':
      case ']':
      case '{':
      case '}':
      case '*':
      case '+':
      case '?':
      case '|':
        return fail();
      default: {
        ++i_;
        std::bitset<256> bytes;
        bytes.set(static_cast<unsigned char>(c));
        return set(bytes);
      }
    }
  }

  // One member of a bracket expression as a byte; false for anything but a plain byte or a
  // character escape.
  bool bracket_byte(unsigned char& out) {
    if (i_ >= p_.size()) return false;
    char c = p_[i_];
    if (static_cast<unsigned char>(c) >= 0x80 || static_cast<unsigned char>(c) < 0x20) return false;
    if (c == '[' || c == ']') return false;
    if (c == '\\') {
      if (i_ + 1 >= p_.size() || !char_escape(p_[i_ + 1], out)) return false;
      i_ += 2;
      return true;
    }
    out = static_cast<unsigned char>(c);
    ++i_;
    return true;
  }

  Fragment bracket() {
    ++i_;
    bool negate = at('^');
    if (negate) ++i_;
    if (at(']')) return fail();  // "[]" and "[^]" are left to std::regex
    std::bitset<256> bytes;
    bool first = true;
    while (!at(']')) {
      if (i_ >= p_.size()) return fail();
      if (at('\\') && i_ + 1 < p_.size()) {
        std::bitset<256> cls;
        char e = p_[i_ + 1];
        if (e >= 'a' && e <= 'z' && class_escape(e, cls)) {
          i_ += 2;
          // "[\d-z]" is left to std::regex.
          if (at('-') && !(i_ + 1 < p_.size() && p_[i_ + 1] == ']')) return fail();
          bytes |= cls;
          first = false;
          continue;
        }
      }
      bool dash = at('-');
      unsigned char low;
      if (!bracket_byte(low)) return fail();
      // A '-' is literal only first or last.
      if (dash && !first && !at(']')) return fail();
      if (at('-') && i_ + 1 < p_.size() && p_[i_ + 1] != ']') {
        ++i_;
        if (at('-')) return fail();
        unsigned char high;
        if (!bracket_byte(high) || high < low) return fail();
        bytes |= range(low, high);
      } else {
        bytes.set(low);
      }
      first = false;
    }
    ++i_;
    if (negate) bytes.flip();
    return set(bytes);
  }

  std::string_view p_;
  std::size_t i_ = 0;
  bool ok_ = true;
  std::vector<State> states_;
  int start_ = -1;
};

}  // namespace

std::optional<bool> simple_regex_search(std::string_view pattern, std::string_view text) {
  Compiler compiler(pattern);
  if (!compiler.compile()) return std::nullopt;
  return compiler.search(text);
}

}  // namespace kb::chart
