#include "pkg/observe/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

namespace kb::observe {

Histogram::Histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)), counts_(bounds_.size() + 1, 0) {}

void Histogram::observe(double value) {
  std::lock_guard lock(mutex_);
  std::size_t i = 0;
  while (i < bounds_.size() && value > bounds_[i]) ++i;
  ++counts_[i];
  sum_ += value;
  ++count_;
}

Histogram::Snapshot Histogram::snapshot() const {
  std::lock_guard lock(mutex_);
  Snapshot s{bounds_, {}, sum_, count_};
  std::uint64_t running = 0;
  for (auto c : counts_) {
    running += c;
    s.cumulative_counts.push_back(running);
  }
  return s;
}

std::vector<double> MetricsRegistry::default_seconds_buckets() {
  return {0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

MetricsRegistry::Family& MetricsRegistry::family(const std::string& name, const std::string& help, Type type) {
  auto [it, inserted] = families_.try_emplace(name);
  if (inserted) {
    it->second.type = type;
    it->second.help = help;
  } else if (it->second.type != type) {
    throw std::logic_error("metric " + name + " registered twice with different types");
  }
  return it->second;
}

Counter& MetricsRegistry::counter(const std::string& name, const std::string& help, const Labels& labels) {
  std::lock_guard lock(mutex_);
  auto& slot = family(name, help, Type::counter).counters[labels];
  if (!slot) slot = std::make_unique<Counter>();
  return *slot;
}

Gauge& MetricsRegistry::gauge(const std::string& name, const std::string& help, const Labels& labels) {
  std::lock_guard lock(mutex_);
  auto& slot = family(name, help, Type::gauge).gauges[labels];
  if (!slot) slot = std::make_unique<Gauge>();
  return *slot;
}

Histogram& MetricsRegistry::histogram(const std::string& name, const std::string& help, const Labels& labels,
                                      std::vector<double> upper_bounds) {
  std::lock_guard lock(mutex_);
  auto& slot = family(name, help, Type::histogram).histograms[labels];
  if (!slot) slot = std::make_unique<Histogram>(std::move(upper_bounds));
  return *slot;
}

double MetricsRegistry::counter_total(const std::string& name) const {
  std::lock_guard lock(mutex_);
  auto it = families_.find(name);
  if (it == families_.end()) return 0;
  double total = 0;
  for (const auto& [labels, c] : it->second.counters) total += c->value();
  return total;
}

std::size_t MetricsRegistry::remove_series(const Labels& match) {
  auto matches = [&match](const Labels& labels) {
    return std::ranges::all_of(match, [&labels](const auto& entry) {
      auto it = labels.find(entry.first);
      return it != labels.end() && it->second == entry.second;
    });
  };
  std::lock_guard lock(mutex_);
  std::size_t removed = 0;
  for (auto& [name, f] : families_) {
    removed += std::erase_if(f.counters, [&](const auto& series) { return matches(series.first); });
    removed += std::erase_if(f.gauges, [&](const auto& series) { return matches(series.first); });
    removed += std::erase_if(f.histograms, [&](const auto& series) { return matches(series.first); });
  }
  return removed;
}

namespace {

std::string escape_label_value(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

std::string render_labels(const Labels& labels, const std::pair<std::string, std::string>* extra = nullptr) {
  if (labels.empty() && !extra) return "";
  std::string out = "{";
  bool first = true;
  for (const auto& [k, v] : labels) {
    if (!first) out += ",";
    first = false;
    out += k + "=\"" + escape_label_value(v) + "\"";
  }
  if (extra) {
    if (!first) out += ",";
    out += extra->first + "=\"" + extra->second + "\"";
  }
  return out + "}";
}

std::string number(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  std::ostringstream s;
  s.precision(17);
  s << v;
  return s.str();
}

}  // namespace

std::string MetricsRegistry::expose() const {
  std::lock_guard lock(mutex_);
  std::string out;
  for (const auto& [name, f] : families_) {
    out += "# HELP " + name + " " + f.help + "\n";
    switch (f.type) {
      case Type::counter:
        out += "# TYPE " + name + " counter\n";
        for (const auto& [labels, c] : f.counters)
          out += name + render_labels(labels) + " " + number(c->value()) + "\n";
        break;
      case Type::gauge:
        out += "# TYPE " + name + " gauge\n";
        for (const auto& [labels, g] : f.gauges) out += name + render_labels(labels) + " " + number(g->value()) + "\n";
        break;
      case Type::histogram:
        out += "# TYPE " + name + " histogram\n";
        for (const auto& [labels, h] : f.histograms) {
          auto s = h->snapshot();
          for (std::size_t i = 0; i <= s.upper_bounds.size(); ++i) {
            std::pair<std::string, std::string> le{
                "le", i < s.upper_bounds.size() ? number(s.upper_bounds[i]) : std::string("+Inf")};
            out += name + "_bucket" + render_labels(labels, &le) + " " + std::to_string(s.cumulative_counts[i]) + "\n";
          }
          out += name + "_sum" + render_labels(labels) + " " + number(s.sum) + "\n";
          out += name + "_count" + render_labels(labels) + " " + std::to_string(s.count) + "\n";
        }
        break;
    }
  }
  return out;
}

}  // namespace kb::observe
