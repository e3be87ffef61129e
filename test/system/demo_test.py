#!/usr/bin/env python3
"""The README's main-job command, hack/demo.sh, run to the end as a user runs it, with its network in
a namespace of the test's own (DEMO_NAMESPACE): a `demo` network the user made stays as it was."""
from kbtest import *


def test_demo_runs_to_the_end():
    code, out, err = run([os.path.join(REPO, "hack", "demo.sh")], check=False, timeout=1100,
                         env_extra={"DEMO_NAMESPACE": NS})
    log(out[-4000:] + err[-4000:])
    assert code == 0, "hack/demo.sh exited %d" % code
    assert network_ready(NS, "demo", 3), "the demo network is not Ready after the demo"


if __name__ == "__main__":
    NS = "kbt-demo"
    try:
        main([test_demo_runs_to_the_end])
    finally:
        delete_namespace(NS)
