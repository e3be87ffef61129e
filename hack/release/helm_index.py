#!/usr/bin/env python3
"""Writes or updates a Helm chart repository's index.yaml with one packaged chart, as
`helm repo index --merge` would, but reproducibly: `created` and `generated` come from
SOURCE_DATE_EPOCH instead of the clock, and the entry is made from the archive's own Chart.yaml.

    helm_index.py --chart bitcoin-controller-0.1.0.tgz --index index.yaml [--url-base URL]

An index that exists is kept: the chart's entry for this version is replaced, every other entry
stays, versions newest first. Without --url-base the entry's URL is the archive's file name,
which Helm resolves against the repository's URL.
"""
import argparse
import datetime
import hashlib
import os
import sys
import tarfile

import yaml


def fail(message):
    print("helm_index.py: " + message, file=sys.stderr)
    sys.exit(1)


def chart_metadata(archive):
    """Chart.yaml of a `helm package` archive (the one file NAME/Chart.yaml at the top)."""
    with tarfile.open(archive, "r:gz") as tar:
        tops = [m for m in tar.getmembers() if m.name.count("/") == 1 and m.name.endswith("/Chart.yaml")]
        if len(tops) != 1:
            fail("%s: want exactly one CHART/Chart.yaml, found %d" % (archive, len(tops)))
        return yaml.safe_load(tar.extractfile(tops[0]))


def version_key(version):
    """Semantic-version order, good enough for X.Y.Z[-pre]: a release sorts after its pre-releases."""
    core, _, pre = str(version).partition("-")
    numbers = tuple(int(p) if p.isdigit() else 0 for p in core.split("."))
    return numbers, pre == "", pre


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--chart", required=True)
    p.add_argument("--index", required=True)
    p.add_argument("--url-base", default="")
    a = p.parse_args()

    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if not epoch or not epoch.isdigit():
        fail("SOURCE_DATE_EPOCH must be set to a Unix time (hack/release.sh sets it from the commit)")
    stamp = datetime.datetime.fromtimestamp(int(epoch), datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

    entry = chart_metadata(a.chart)
    for field in ("name", "version"):
        if not entry.get(field):
            fail("%s: Chart.yaml has no %s" % (a.chart, field))
    with open(a.chart, "rb") as f:
        entry["digest"] = hashlib.sha256(f.read()).hexdigest()
    file_name = os.path.basename(a.chart)
    entry["urls"] = [a.url_base.rstrip("/") + "/" + file_name if a.url_base else file_name]
    entry["created"] = stamp

    index = {"apiVersion": "v1", "entries": {}}
    if os.path.exists(a.index):
        with open(a.index) as f:
            index = yaml.safe_load(f) or index
        if index.get("apiVersion") != "v1" or not isinstance(index.get("entries", {}), dict):
            fail("%s: not a Helm repository index (apiVersion v1 with entries)" % a.index)
    versions = [e for e in (index.get("entries") or {}).get(entry["name"], []) if e.get("version") != entry["version"]]
    versions.append(entry)
    versions.sort(key=lambda e: version_key(e["version"]), reverse=True)
    index.setdefault("entries", {})[entry["name"]] = versions
    index["generated"] = stamp

    part = a.index + ".part"
    with open(part, "w") as f:
        yaml.safe_dump(index, f, sort_keys=True, default_flow_style=False)
    os.replace(part, a.index)


if __name__ == "__main__":
    main()
