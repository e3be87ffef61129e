#include "pkg/cli/table_printer.hpp"

#include <algorithm>
#include <ostream>
#include <sstream>

namespace kb::cli {
namespace {
constexpr std::size_t kPadding = 3;   // kubectl: tabwriterPadding
constexpr std::size_t kMinWidth = 6;  // kubectl: tabwriterMinWidth (includes the padding)
}  // namespace

std::size_t display_width(const std::string& text) {
  std::size_t width = 0;
  for (unsigned char c : text) {
    if ((c & 0xC0) != 0x80) ++width;  // count lead bytes only
  }
  return width;
}

Table::Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}

void Table::add_row(std::vector<std::string> cells) {
  cells.resize(headers_.size());
  rows_.push_back(std::move(cells));
}

void Table::print(std::ostream& out) const {
  const std::size_t columns = headers_.size();
  std::vector<std::size_t> widths(columns, 0);
  auto measure = [&](const std::vector<std::string>& row) {
    for (std::size_t i = 0; i < columns; ++i) widths[i] = std::max(widths[i], display_width(row[i]));
  };
  measure(headers_);
  for (const auto& row : rows_) measure(row);

  auto print_row = [&](const std::vector<std::string>& row) {
    std::string line;
    for (std::size_t i = 0; i < columns; ++i) {
      line += row[i];
      if (i + 1 < columns) {
        std::size_t cell = std::max(widths[i] + kPadding, kMinWidth);
        line.append(cell - display_width(row[i]), ' ');
      }
    }
    line.erase(line.find_last_not_of(' ') + 1);  // empty trailing cells leave no blanks
    out << line << '\n';
  };
  print_row(headers_);
  for (const auto& row : rows_) print_row(row);
}

std::string Table::str() const {
  std::ostringstream out;
  print(out);
  return out.str();
}

}  // namespace kb::cli
