// Tables print like kubectl's: columns start at the same offset on every line, separated by at
// least three spaces, no trailing blanks.
#include "pkg/cli/table_printer.hpp"

#include <doctest/doctest.h>

#include <sstream>
#include <string>
#include <vector>

using kb::cli::Table;

namespace {
std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}
}  // namespace

TEST_CASE("columns are aligned on the widest cell plus three spaces") {
  Table table({"NAME", "READY", "AGE"});
  table.add_row({"demo", "3/3", "5m"});
  table.add_row({"a-much-longer-name", "10/10", "2d4h"});
  auto lines = lines_of(table.str());
  REQUIRE(lines.size() == 3);
  CHECK(lines[0] == "NAME                 READY   AGE");
  CHECK(lines[1] == "demo                 3/3     5m");
  CHECK(lines[2] == "a-much-longer-name   10/10   2d4h");
  for (const auto& line : lines) {
    CHECK((line.find("READY") == std::string::npos || line.find("READY") == 21));
    CHECK(line.back() != ' ');
  }
}

TEST_CASE("short columns take kubectl's minimum width of six") {
  Table table({"A", "B"});
  table.add_row({"x", "y"});
  CHECK(table.str() == "A     B\nx     y\n");
}

TEST_CASE("missing cells are empty and the last column is never padded") {
  Table table({"ORDINAL", "POD", "MESSAGE"});
  table.add_row({"0"});
  table.add_row({"1", "demo-sts-1", "ok", "dropped"});
  auto lines = lines_of(table.str());
  REQUIRE(lines.size() == 3);
  CHECK(lines[1] == "0");
  CHECK(lines[2] == "1         demo-sts-1   ok");
  CHECK(table.size() == 2);
}

TEST_CASE("width counts UTF-8 characters, not bytes") {
  CHECK(kb::cli::display_width("abc") == 3);
  CHECK(kb::cli::display_width("\xC3\xA9t\xC3\xA9") == 3);  // "été"
  Table table({"X", "Y"});
  table.add_row({"\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9", "1"});
  auto lines = lines_of(table.str());
  CHECK(lines[0] == "X       Y");  // five characters + three spaces
}
