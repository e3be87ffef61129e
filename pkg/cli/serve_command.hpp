#pragma once
#include "pkg/cli/command.hpp"

#include <string>

namespace kb::cli {
// `kubectl bitcoin serve`: the controller, as it runs in its pod.
void add_serve_command(CLI::App& root, Context& context);

// --kube-api-qps/--kube-api-burst: "" when acceptable, else the usage error naming the flag.
// qps 0 turns client-side limiting off; a positive qps needs a burst of at least 1.
std::string client_rate_limit_problem(double qps, int burst);
// For the start-up log line: "off (API priority and fairness)" or "50/s, burst 100".
std::string describe_client_rate_limit(double qps, int burst);
}  // namespace kb::cli
