#pragma once
#include "pkg/cli/command.hpp"

#include <boost/json/value.hpp>
#include <cstdint>

#include <string>
#include <vector>

namespace kb::cli {

// `kubectl bitcoin create NETWORK --nodes N [...]`: a BitcoinNetwork without writing YAML.
void add_create_command(CLI::App& root, Context& context);

// What the flags say; -1 / empty means "not given" (the API server applies the CRD's defaults).
struct NetworkFlags {
  std::string name;
  std::string namespace_name;  // only set in the object when -n was given (as kubectl create does)
  int nodes = -1;
  std::string topology;
  int hub = -1;
  int degree = -1;          // --topology random; -1: the CRD's default
  std::int64_t seed = -1;   // --topology random; -1: the CRD's default
  std::string edges;        // "0-1,1-2" for --topology custom
  int mining_interval = 0;  // seconds; > 0 turns mining on
  int mining_node = -1;
  std::string image;
  std::string secret;
  std::vector<std::string> args;
};

// The BitcoinNetwork object for the flags. Throws UsageError naming the flag for a bad value.
boost::json::value build_network_object(const NetworkFlags& flags);

}  // namespace kb::cli
