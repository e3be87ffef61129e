// The kube layer's FAKE API server (test/unit/kube/support), compiled into the CLI tests too, so
// a command can run end to end against scripted answers.
#include "test/unit/kube/support/fake_api_server.cpp"
