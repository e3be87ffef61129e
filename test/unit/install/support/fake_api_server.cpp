// The kube layer's FAKE API server (test/unit/kube/support), compiled into the install tests too,
// so Installer::install can be driven request by request without a cluster.
#include "test/unit/kube/support/fake_api_server.cpp"
