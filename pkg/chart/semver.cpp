#include "pkg/chart/semver.hpp"

#include <charconv>
#include <regex>
#include <stdexcept>
#include <vector>

namespace kb::chart {
namespace {

std::string trim(std::string_view s) {
  auto b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return "";
  auto e = s.find_last_not_of(" \t");
  return std::string(s.substr(b, e - b + 1));
}

std::vector<std::string> split_on(std::string_view s, std::string_view sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    auto pos = s.find(sep, start);
    out.emplace_back(s.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start));
    if (pos == std::string_view::npos) return out;
    start = pos + sep.size();
  }
}

bool is_number(std::string_view s) { return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos; }

int compare_prerelease(const std::string& a, const std::string& b) {
  if (a == b) return 0;
  if (a.empty()) return 1;
  if (b.empty()) return -1;
  auto pa = split_on(a, "."), pb = split_on(b, ".");
  for (std::size_t i = 0; i < pa.size() && i < pb.size(); ++i) {
    bool na = is_number(pa[i]), nb = is_number(pb[i]);
    if (na && nb) {
      auto x = std::stoull(pa[i]), y = std::stoull(pb[i]);
      if (x != y) return x < y ? -1 : 1;
    } else if (na != nb) {
      return na ? -1 : 1;
    } else if (pa[i] != pb[i]) {
      return pa[i] < pb[i] ? -1 : 1;
    }
  }
  if (pa.size() == pb.size()) return 0;
  return pa.size() < pb.size() ? -1 : 1;
}

// One constraint's version, where trailing parts may be wildcards (1.2.x, 1.*, *).
struct ConstraintVersion {
  SemanticVersion version;
  int specified = 3;  // how many of major/minor/patch are concrete
};

std::optional<ConstraintVersion> parse_constraint_version(std::string text) {
  ConstraintVersion cv;
  if (!text.empty() && (text[0] == 'v' || text[0] == 'V')) text.erase(0, 1);
  std::string core = text, suffix;
  auto dash = text.find_first_of("-+");
  if (dash != std::string::npos) core = text.substr(0, dash), suffix = text.substr(dash);
  auto parts = split_on(core, ".");
  if (parts.size() > 3 || parts.empty()) return std::nullopt;
  cv.specified = 0;
  std::uint64_t numbers[3] = {0, 0, 0};
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const auto& p = parts[i];
    if (p == "x" || p == "X" || p == "*") break;
    if (!is_number(p)) return std::nullopt;
    numbers[i] = std::stoull(p);
    cv.specified = static_cast<int>(i) + 1;
  }
  // Missing parts count as wildcards: "1.2" is 1.2.x for ranges and 1.2.0 for comparisons.
  std::string rebuilt =
      std::to_string(numbers[0]) + "." + std::to_string(numbers[1]) + "." + std::to_string(numbers[2]) + suffix;
  auto v = parse_semver(rebuilt);
  if (!v) return std::nullopt;
  cv.version = *v;
  return cv;
}

SemanticVersion bump(const SemanticVersion& v, int part) {
  SemanticVersion out;
  out.major = v.major;
  if (part == 0)
    out.major += 1;
  else if (part == 1)
    out.minor = v.minor + 1;
  else
    out.minor = v.minor, out.patch = v.patch + 1;
  return out;
}

bool check_one(const std::string& text, const SemanticVersion& v) {
  static const std::vector<std::string> ops = {"!=", ">=", "=>", "<=", "=<", "~>", ">", "<", "=", "~", "^"};
  std::string op, rest = text;
  for (const auto& o : ops) {
    if (text.starts_with(o)) {
      op = o;
      rest = trim(text.substr(o.size()));
      break;
    }
  }
  auto cv = parse_constraint_version(rest);
  if (!cv) throw std::invalid_argument("improper constraint: " + text);
  const auto& c = cv->version;
  bool dirty = cv->specified < 3;
  // Masterminds v3: a prerelease version only satisfies constraints that mention a prerelease.
  if (!v.prerelease.empty() && c.prerelease.empty()) return false;
  int cmp = compare_semver(v, c);
  auto in_range = [&] {
    if (cv->specified == 0) return true;
    SemanticVersion upper = bump(c, cv->specified - 1);
    return cmp >= 0 && compare_semver(v, upper) < 0;
  };
  if (op.empty() || op == "=") return dirty ? in_range() : cmp == 0;
  if (op == "!=") return dirty ? !in_range() : cmp != 0;
  if (op == ">") {
    if (!dirty) return cmp > 0;
    if (cv->specified == 0) return false;
    return compare_semver(v, bump(c, cv->specified - 1)) >= 0;
  }
  if (op == ">=" || op == "=>") return cmp >= 0;
  if (op == "<") return cmp < 0;
  if (op == "<=" || op == "=<") {
    if (!dirty) return cmp <= 0;
    if (cv->specified == 0) return true;
    return compare_semver(v, bump(c, cv->specified - 1)) < 0;
  }
  if (op == "~" || op == "~>") {
    if (cmp < 0) return false;
    int part = cv->specified >= 2 ? 1 : 0;
    return compare_semver(v, bump(c, part)) < 0;
  }
  if (op == "^") {
    if (cmp < 0) return false;
    int part = c.major != 0 || cv->specified <= 1 ? 0 : (c.minor != 0 || cv->specified == 2 ? 1 : 2);
    return compare_semver(v, bump(c, part)) < 0;
  }
  throw std::invalid_argument("improper constraint: " + text);
}

}  // namespace

std::string SemanticVersion::to_string() const {
  std::string s = std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
  if (!prerelease.empty()) s += "-" + prerelease;
  if (!metadata.empty()) s += "+" + metadata;
  return s;
}

std::optional<SemanticVersion> parse_semver(std::string_view text) {
  static const std::regex pattern(
      R"(v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?)");
  std::string s(text);
  std::smatch m;
  if (!std::regex_match(s, m, pattern)) return std::nullopt;
  SemanticVersion v;
  v.original = s;
  try {
    v.major = std::stoull(m[1].str());
    if (m[2].matched) v.minor = std::stoull(m[2].str().substr(1));
    if (m[3].matched) v.patch = std::stoull(m[3].str().substr(1));
  } catch (const std::exception&) {
    return std::nullopt;
  }
  v.prerelease = m[5].str();
  v.metadata = m[8].str();
  return v;
}

int compare_semver(const SemanticVersion& a, const SemanticVersion& b) {
  if (a.major != b.major) return a.major < b.major ? -1 : 1;
  if (a.minor != b.minor) return a.minor < b.minor ? -1 : 1;
  if (a.patch != b.patch) return a.patch < b.patch ? -1 : 1;
  return compare_prerelease(a.prerelease, b.prerelease);
}

bool semver_satisfies(std::string_view constraint, std::string_view version) {
  auto v = parse_semver(trim(version));
  // Parse the whole constraint first so that a malformed one is reported even if v is invalid.
  std::vector<std::vector<std::string>> groups;
  for (const auto& group : split_on(constraint, "||")) {
    std::vector<std::string> parts;
    std::string g = trim(group);
    // A hyphen range "1.2 - 1.4" is ">= 1.2, <= 1.4".
    static const std::regex hyphen(R"(^\s*(\S+)\s+-\s+(\S+)\s*$)");
    std::smatch m;
    if (std::regex_match(g, m, hyphen)) {
      parts = {">=" + m[1].str(), "<=" + m[2].str()};
    } else {
      // AND-ed constraints are separated by commas or spaces; an operator may be followed by a space.
      std::string normalised;
      for (const auto& piece : split_on(g, ",")) normalised += " " + trim(piece);
      std::string current;
      std::size_t i = 0;
      auto flush = [&] {
        if (!current.empty()) parts.push_back(current);
        current.clear();
      };
      while (i < normalised.size()) {
        char c = normalised[i];
        if (c == ' ') {
          bool pending_operator = !current.empty() && current.find_first_not_of("<>=!~^") == std::string::npos;
          if (!pending_operator) flush();
          ++i;
          continue;
        }
        current += c;
        ++i;
      }
      flush();
    }
    if (parts.empty()) throw std::invalid_argument("improper constraint: " + std::string(constraint));
    groups.push_back(parts);
  }
  if (!v) throw std::invalid_argument("invalid semantic version");
  for (const auto& group : groups) {
    bool all = true;
    for (const auto& part : group)
      if (!check_one(part, *v)) all = false;
    if (all) return true;
  }
  return false;
}

}  // namespace kb::chart
