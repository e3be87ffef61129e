#pragma once
// The fork picture as `kubectl bitcoin status NET` shows it (from status.forks and the Forked
// condition the controller writes), and the compact frame `status NET -w` redraws. Pure.
#include <boost/json/value.hpp>

#include <chrono>
#include <string>
#include <vector>

namespace kb::cli {

// One line per group of status.forks, e.g. "105/3f12ab34cd56  nodes 0,1  fork at 100, depth 5";
// with one group "105/3f12ab34cd56  all 4 nodes" (when every ready node is in it). Empty when
// the status has no forks yet.
std::vector<std::string> fork_lines(const boost::json::value& network);

// "Forked=True (TipsDiffer, 40s)" from the Forked condition, or "" when the status has none.
std::string forked_summary(const boost::json::value& network, std::chrono::system_clock::time_point now);

// The compact frame of `status NET -w`: a head line (name, ready, height, Forked), the fork lines,
// and the newest `max_events` events (oldest first).
std::string render_compact_network(const boost::json::value& network, const std::vector<boost::json::value>& events,
                                   std::chrono::system_clock::time_point now, std::size_t max_events = 3);

}  // namespace kb::cli
