// What a kubeconfig's exec credential plugin prints (an ExecCredential JSON object), as
// parse_exec_credential reads it. The input is the plugin's standard output.
// Properties checked beyond "no crash, no leak, no hang": every failure is a ConfigError, and a
// credential that is accepted has a token or a certificate with its key.
#include "pkg/kube/credentials.hpp"
#include "pkg/kube/errors.hpp"
#include "test/fuzz/fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kb::kube;
  try {
    ExecCredential credential =
        parse_exec_credential(kb::fuzz::as_text(data, size), "client.authentication.k8s.io/v1", "exec plugin fuzz");
    if (credential.token.empty() && credential.client_cert_pem.empty()) kb::fuzz::finding("accepted no credential");
    if (credential.client_cert_pem.empty() != credential.client_key_pem.empty())
      kb::fuzz::finding("accepted a certificate without its key");
  } catch (const ConfigError&) {
  }
  return 0;
}
