// The kube layer's FAKE API server (test/unit/kube/support), compiled into the controller's tests
// too, so the reconciler can be driven end to end without a cluster.
#include "test/unit/kube/support/fake_api_server.cpp"
