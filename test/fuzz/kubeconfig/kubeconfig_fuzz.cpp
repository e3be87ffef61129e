// kubeconfig files, as kubectl-bitcoin reads them (parse_kubeconfig) and turns them into a
// connection (resolve_kubeconfig). The input is one kubeconfig document. Inputs that name files
// (certificate-authority, client-certificate, client-key, tokenFile) are only parsed, not
// resolved: the harness must not read this machine's files.
// Properties checked beyond "no crash, no leak, no hang": every failure is a KubeError
// (ConfigError naming file and field); the base YAML reader's YamlError included.
#include "pkg/base/yaml_parse.hpp"
#include "pkg/kube/client_options.hpp"
#include "pkg/kube/errors.hpp"
#include "pkg/kube/kubeconfig.hpp"
#include "test/fuzz/fuzz_input.hpp"

namespace {
using namespace kb::kube;

bool names_files(const std::map<std::string, KubeconfigEntry>& entries) {
  for (const auto& [name, entry] : entries) {
    for (const char* key : {"certificate-authority", "client-certificate", "client-key", "tokenFile"}) {
      if (entry.body.contains(key)) return true;
    }
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Kubeconfig config;
  try {
    config = parse_kubeconfig(kb::fuzz::as_text(data, size), "/fuzz/kubeconfig");
  } catch (const KubeError&) {
    return 0;
  } catch (const kb::base::YamlError&) {
    return 0;
  }
  config.context_names();
  if (names_files(config.clusters) || names_files(config.users)) return 0;
  for (const auto& context : std::vector<std::string>{"", "kind-kb"}) {
    ClientOptions options;
    options.context = context;
    try {
      resolve_kubeconfig(config, options);
    } catch (const KubeError&) {
    }
  }
  return 0;
}
