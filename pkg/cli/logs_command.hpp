#pragma once
#include "pkg/cli/command.hpp"

#include <string>

namespace kb::cli {
// `kubectl bitcoin logs NETWORK --node K [-f] [--tail N]`: one node's bitcoind log through the
// API server (pods/log), so it works wherever kubectl does.
void add_logs_command(CLI::App& root, Context& context);

struct LogQuery {
  std::string container = "bitcoind";
  bool follow = false;
  int tail = -1;  // -1: everything
  bool previous = false;
  bool timestamps = false;
  long long since_seconds = 0;  // 0: no limit
};

// "/api/v1/namespaces/<ns>/pods/<pod>/log?container=...&follow=true&tailLines=N..." (pure, for tests).
std::string log_path(const std::string& ns, const std::string& pod, const LogQuery& query);
}  // namespace kb::cli
