#pragma once
// What the dashboard page draws, as one JSON document: the network's status as the controller
// wrote it (nodes, tips, conditions, status.forks and status.partition when present), the
// topology's edges, the live connections seen in getpeerinfo, and the recent Events. Pure: the
// dashboard's feed gathers the inputs (dashboard_feed).
#include "pkg/api/bitcoin_network.hpp"

#include <boost/json/value.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace kb::cli {

// status.nodes[].ip → ordinal.
std::map<std::string, int> ordinals_by_ip(const boost::json::value& network);

// The connections that exist, from each node's `getpeerinfo` (ordinal → its answer): a peer's
// `addr` ("ip:port", "[ipv6]:port") is mapped to a node by pod IP; peers that are not nodes of the
// network are left out. Undirected, each once (from < to), sorted.
std::vector<api::Edge> live_edges(const std::map<std::string, int>& ordinals,
                                  const std::map<int, boost::json::value>& peer_info);

struct PictureInputs {
  boost::json::value network;             // the BitcoinNetwork object
  std::vector<api::Edge> topology_edges;  // what the topology asks for
  std::vector<api::Edge> live_edges;      // what getpeerinfo shows
  bool peers_known = false;               // false: live edges could not be asked (rpc_problem says why)
  std::string rpc_problem;
  std::vector<boost::json::value> events;
  std::string observed_at;  // RFC 3339
};

// Longest text the page gets for any message (a condition's may be 32 KiB).
inline constexpr std::size_t kMaxMessageBytes = 1024;

// The document the page's /api/state answers. Its size is bounded by the node count (at most 100)
// and the 10 Events: status.forks and status.partition pass through field by field, not wholesale.
boost::json::value network_picture(const PictureInputs& inputs);

}  // namespace kb::cli
