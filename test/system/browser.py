"""Headless Chromium (Debian's `chromium`, hack/install-deps.sh) for the dashboard's tests: load a
page, dump its DOM after the scripts ran, take a screenshot. No browser download, no driver: the
command line only. Chromium runs with an empty profile and without its background services (they
would try to reach Google's hosts from a machine that has no internet), and every host name except
the loopback ones resolves to nothing, so a page that needed the internet would visibly break."""
import os
import shutil
import subprocess
import tempfile
from html.parser import HTMLParser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
         "--allow-file-access-from-files",
         # Nothing but this machine: any other host name fails to resolve.
         "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1"]


def available():
    return os.path.exists(CHROMIUM)


def _run(url, extra, budget_ms, timeout=90):
    profile = tempfile.mkdtemp(prefix="kb-chromium-")
    try:
        p = subprocess.run([CHROMIUM, *FLAGS, "--user-data-dir=" + profile,
                            "--virtual-time-budget=%d" % budget_ms, *extra, url],
                           capture_output=True, text=True, timeout=timeout)
        if p.returncode != 0:
            raise AssertionError("chromium exited %d: %s" % (p.returncode, p.stderr[-2000:]))
        return p.stdout
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def dump_dom(url, budget_ms=3000):
    """The page's DOM as HTML after its scripts ran for `budget_ms` of virtual time."""
    return _run(url, ["--dump-dom"], budget_ms)


def screenshot(url, path, budget_ms=3000, size="1280,1000"):
    _run(url, ["--screenshot=" + path, "--window-size=" + size, "--hide-scrollbars"], budget_ms)
    if not os.path.exists(path) or os.path.getsize(path) == 0:
        raise AssertionError("chromium wrote no screenshot to " + path)
    return path


class Elements(HTMLParser):
    """Every element's tag, attributes and own text, in document order."""

    def __init__(self, html):
        super().__init__()
        self.elements = []
        self._open = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        element = {"tag": tag, "attrs": dict(attrs), "text": ""}
        self.elements.append(element)
        self._open.append(element)

    def handle_endtag(self, tag):
        while self._open:
            if self._open.pop()["tag"] == tag:
                break

    def handle_data(self, data):
        if self._open:
            self._open[-1]["text"] += data

    def with_attr(self, name):
        return [e for e in self.elements if name in e["attrs"]]

    def by_id(self, ident):
        for e in self.elements:
            if e["attrs"].get("id") == ident:
                return e
        return None
