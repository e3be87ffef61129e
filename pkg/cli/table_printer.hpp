#pragma once
// Tables the way kubectl prints them: upper-case headers, columns left-aligned and separated by
// at least three spaces (kubectl's tabwriter: padding 3, minimum cell width 6), the last column
// unpadded so lines carry no trailing blanks.
#include <iosfwd>
#include <string>
#include <vector>

namespace kb::cli {

class Table {
 public:
  explicit Table(std::vector<std::string> headers);

  // A row with fewer cells than headers is padded with empty cells; extra cells are dropped.
  void add_row(std::vector<std::string> cells);
  bool empty() const { return rows_.empty(); }
  std::size_t size() const { return rows_.size(); }

  void print(std::ostream& out) const;
  std::string str() const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

// Display width of UTF-8 text (code points; every character this project prints is one column).
std::size_t display_width(const std::string& text);

}  // namespace kb::cli
