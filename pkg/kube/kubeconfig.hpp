#pragma once
// kubeconfig files, loaded and merged the way kubectl (client-go clientcmd) does it.
//
//   kubeconfig_paths(flag, $KUBECONFIG, home)  which files, in precedence order
//   load_kubeconfig(paths)                     merge: for every map entry and current-context the
//                                              first file that sets it wins; relative paths are
//                                              resolved against the file that names them
//   resolve_kubeconfig(config, options)        context/cluster/user/namespace overrides -> ClusterConfig
//
// Errors are ConfigError naming the file and the field (e.g. "users[alice].user.token").
#include "pkg/kube/cluster_config.hpp"

#include <boost/json/object.hpp>

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace kb::kube {

// One named entry (cluster, user or context) and the file it came from.
struct KubeconfigEntry {
  boost::json::object body;      // the inner object: the value of "cluster", "user" or "context"
  std::filesystem::path origin;  // the file that defined it
};

struct Kubeconfig {
  std::string current_context;
  std::filesystem::path current_context_origin;
  std::map<std::string, KubeconfigEntry> clusters;
  std::map<std::string, KubeconfigEntry> users;
  std::map<std::string, KubeconfigEntry> contexts;
  std::vector<std::filesystem::path> files;  // the files actually read, in precedence order

  std::vector<std::string> context_names() const;
};

// The files to read: the --kubeconfig flag alone when set (it must exist); else every entry of
// $KUBECONFIG (':'-separated, duplicates and empties dropped, missing files skipped); else
// <home>/.kube/config. An empty result means "no kubeconfig" (the caller may go in-cluster).
std::vector<std::filesystem::path> kubeconfig_paths(const std::string& flag,
                                                    const std::optional<std::string>& kubeconfig_env,
                                                    const std::filesystem::path& home);

// Reads and merges the files. Paths inside (certificate-authority, client-certificate, client-key,
// tokenFile, exec.command with a '/') become absolute, relative to the file's directory.
Kubeconfig load_kubeconfig(const std::vector<std::filesystem::path>& files);

// Parses one kubeconfig document (for tests and for `--kubeconfig -` style inputs).
Kubeconfig parse_kubeconfig(std::string_view yaml_text, const std::filesystem::path& origin);

// Applies --context/--cluster/--user/--namespace and reads every referenced file and inline datum.
ClusterConfig resolve_kubeconfig(const Kubeconfig& config, const ClientOptions& options);

}  // namespace kb::kube
