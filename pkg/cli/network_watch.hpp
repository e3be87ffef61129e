#pragma once
// `kubectl bitcoin status NET -w`: watches the network and its Events through the API server (two
// reflectors: list, then watch, resuming after dropped connections, like `kubectl get -w`) and
// redraws the compact frame (fork_view.hpp) when what it shows changed: in place on a terminal,
// else one frame per change, separated by a blank line. Ctrl-C (SIGINT) or SIGTERM ends it
// cleanly (exit 0); so does the network's deletion.
#include "pkg/kube/client.hpp"

#include <ostream>
#include <string>

namespace kb::cli {

struct NetworkWatchTarget {
  std::string namespace_name;
  std::string name;
  bool terminal = false;  // redraw in place
};

// Runs until interrupted or the network is deleted. The network must exist when it starts (the
// caller has fetched it, so a missing CRD or network was reported the usual way).
void watch_network(const kube::Client& client, const NetworkWatchTarget& target, std::ostream& out, std::ostream& err);

}  // namespace kb::cli
