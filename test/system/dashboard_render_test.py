#!/usr/bin/env python3
"""The dashboard page (web/dashboard, as embedded in the binary) drawn by headless Chromium from
fixed states: a 4-node ring split into two partition groups on two forks, then the same without
status.forks. No cluster: the fixture stands in for api/state (it has the shape pkg/cli/network_picture
answers, with status.forks and status.partition as docs of issue 16 define them), so this checks
the drawing of forks and partitions before the controller writes them. The live page against a
real network is system.dashboard."""
import json
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
import browser  # noqa: E402
from kbtest import REPO, log, main, test_log_dir  # noqa: E402

PAGE = os.path.join(REPO, "web", "dashboard")
A, B, C = "aa" * 32, "bb" * 32, "cc" * 32


def partitioned_state(height_left, height_right, forks=True):
    state = {
        "name": "split", "namespace": "fixture", "nodes": 4, "topology": "ring", "readyNodes": 4,
        "blockHeight": height_left,
        "nodeStatus": [{"ordinal": i, "ready": True, "blocks": height_left if i < 2 else height_right,
                        "bestBlockHash": A if i < 2 else B, "peers": 1, "reason": None} for i in range(4)],
        "conditions": [{"type": "Ready", "status": "True", "reason": "AllNodesReady", "message": "4/4 nodes ready"},
                       {"type": "Forked", "status": "True", "reason": "TipsDiffer", "message": "[0 1] at 105, [2 3] at 103"},
                       {"type": "Partitioned", "status": "True", "reason": "PartitionInForce", "message": "left, right"}],
        "forks": [{"height": height_left, "hash": A, "nodes": [0, 1], "forkPoint": {"height": 101, "hash": C},
                   "depth": height_left - 101},
                  {"height": height_right, "hash": B, "nodes": [2, 3], "forkPoint": {"height": 101, "hash": C},
                   "depth": height_right - 101}] if forks else None,
        "partition": {"source": "status", "since": "2026-12-06T09:00:00Z",
                      "groups": [{"name": "left", "nodes": [0, 1]}, {"name": "right", "nodes": [2, 3]}]},
        "topologyEdges": [[0, 1], [0, 3], [1, 2], [2, 3]],
        "liveEdges": [[0, 1], [2, 3]],
        "rpcProblem": None,
        "events": [{"type": "Normal", "reason": "Reorg", "time": "2026-12-06T09:01:00Z", "count": None,
                    "message": "node 2: reorg of depth 2 from 103/bbbbbbbbbbbb to 105/aaaaaaaaaaaa (fork at 101)"}],
        "observedAt": "2026-12-06T09:00:0%dZ" % (height_left % 10),
    }
    return state


def page_with(states, directory):
    """A copy of the page that draws `states` instead of polling api/state."""
    for name in ("index.html", "style.css", "app.js"):
        shutil.copy(os.path.join(PAGE, name), directory)
    with open(os.path.join(directory, "fixture.js"), "w") as f:
        f.write("window.KB_DASHBOARD_FIXTURE = %s;\n" % json.dumps(states))
    index = os.path.join(directory, "index.html")
    with open(index) as f:
        html = f.read()
    assert '<script src="app.js"></script>' in html
    with open(index, "w") as f:
        f.write(html.replace('<script src="app.js"></script>',
                             '<script src="fixture.js"></script><script src="app.js"></script>'))
    return "file://" + index


def circle_fill_of(elements, node):
    """The fill of the circle drawn for data-node=node (the first circle inside its <g>)."""
    seen = False
    for e in elements.elements:
        if e["attrs"].get("data-node") == str(node):
            seen = True
        elif seen and e["tag"] == "circle":
            return e["attrs"].get("fill")
    return None


def check_partitioned_page(elements):
    nodes = sorted(e["attrs"]["data-node"] for e in elements.with_attr("data-node"))
    assert nodes == ["0", "1", "2", "3"], nodes
    live = sorted(e["attrs"]["data-edge"] for e in elements.with_attr("data-edge"))
    assert live == ["0-1", "2-3"], live
    planned = sorted(e["attrs"]["data-planned-edge"] for e in elements.with_attr("data-planned-edge"))
    assert planned == ["0-3", "1-2"], planned  # the cut edges, dashed
    groups = sorted(e["attrs"]["data-partition-group"] for e in elements.with_attr("data-partition-group"))
    assert groups == ["left", "right"], groups
    forks = elements.with_attr("data-fork")
    assert sorted(f["attrs"]["data-nodes"] for f in forks) == ["0,1", "2,3"], forks
    points = [e["attrs"]["data-fork-point"] for e in elements.with_attr("data-fork-point")]
    assert points == ["101"], points
    fills = [circle_fill_of(elements, n) for n in range(4)]
    assert fills[0] == fills[1] and fills[2] == fills[3] and fills[0] != fills[2], fills
    forked = [e for e in elements.with_attr("data-condition") if e["attrs"]["data-condition"] == "Forked"]
    assert forked and "alert" in forked[0]["attrs"]["class"], forked
    assert [e["attrs"]["data-event"] for e in elements.with_attr("data-event")] == ["Reorg"]
    assert elements.by_id("network-name")["text"] == "split"
    series = elements.with_attr("data-height-node")
    assert len(series) == 4, series


def test_forks_and_partition_are_drawn():
    directory = tempfile.mkdtemp(prefix="kb-dashboard-fixture-")
    try:
        url = page_with([partitioned_state(104, 102), partitioned_state(105, 103)], directory)
        check_partitioned_page(browser.Elements(browser.dump_dom(url)))
        shot = browser.screenshot(url, os.path.join(test_log_dir("system.dashboard_render"), "partitioned.png"))
        log("screenshot:", shot)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def test_tip_groups_without_status_forks():
    """A controller that does not write status.forks yet: the page groups nodes by their tips."""
    directory = tempfile.mkdtemp(prefix="kb-dashboard-fixture-")
    try:
        url = page_with([partitioned_state(105, 103, forks=False)], directory)
        elements = browser.Elements(browser.dump_dom(url))
        forks = elements.with_attr("data-fork")
        assert sorted(f["attrs"]["data-nodes"] for f in forks) == ["0,1", "2,3"], forks
        # no fork point known: none is drawn
        assert elements.with_attr("data-fork-point") == []
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def test_page_loads_nothing_from_elsewhere():
    """Every src and href of the page is relative: the page works without internet access."""
    with open(os.path.join(PAGE, "index.html")) as f:
        elements = browser.Elements(f.read())
    for e in elements.elements:
        for attr in ("src", "href"):
            value = e["attrs"].get(attr)
            if value is not None:
                assert "//" not in value and not value.startswith("/"), (e["tag"], attr, value)
    with open(os.path.join(PAGE, "app.js")) as f:
        script = f.read()
    # The one absolute URL in the script is SVG's namespace name, which is never fetched.
    assert script.count("http") == 1 and "http://www.w3.org/2000/svg" in script


if __name__ == "__main__":
    if not browser.available():
        print("chromium is not installed (hack/install-deps.sh installs it); skipping")
        sys.exit(77)
    main([test_forks_and_partition_are_drawn, test_tip_groups_without_status_forks, test_page_loads_nothing_from_elsewhere])
