#!/usr/bin/env bash
# hack/release.sh packages the binary under test: archive contents, SHA256SUMS, the krew manifest
# filled in, the chart archive and its index, the image layout; the Dockerfile keeps its contract
# (scratch, static binary, non-root); .travis.yml is valid and its release stage runs the scripts
# test/system/release_test.py runs; publish.sh's usage errors. Needs no cluster (system.release
# installs what this makes).
source "$(dirname "$0")/lib.sh"
need_plugin
bin_dir="$(dirname "$(command -v kubectl-bitcoin)")"
dist="$E2E_TMP/dist"

expect 0 env BUILD_DIR="$bin_dir" SKIP_BUILD=1 DIST_DIR="$dist" "$REPO/hack/release.sh"
archive="$(cd "$dist" && ls kubectl-bitcoin_*_linux_amd64.tar.gz)"
[[ -n $archive ]] || fail "no archive in $dist"
(cd "$dist" && sha256sum -c SHA256SUMS >/dev/null) || fail "SHA256SUMS does not match the files"
version="$(kubectl-bitcoin version -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["version"])')"
# One source for the version: CMakeLists.txt reads the chart's appVersion, and the chart's own
# version must say the same (a chart 0.2.0 that deploys image 0.1.0 would be a broken release).
python3 - "$REPO/chart/bitcoin-controller/Chart.yaml" "$version" <<'PY' || fail "chart/bitcoin-controller/Chart.yaml disagrees with the binary's version"
import sys, yaml
meta = yaml.safe_load(open(sys.argv[1]))
assert meta["version"] == meta["appVersion"] == sys.argv[2], (meta["version"], meta["appVersion"], sys.argv[2])
PY
python3 - "$dist" "$version" <<'PY' || fail "the chart, its index or the image layout is wrong"
import hashlib, json, os, sys, tarfile, yaml
dist, version = sys.argv[1:]
chart = os.path.join(dist, "bitcoin-controller-%s.tgz" % version)
with tarfile.open(chart) as tar:
    names = tar.getnames()
    assert all(n.split("/")[0] == "bitcoin-controller" for n in names), names
    assert {"bitcoin-controller/Chart.yaml", "bitcoin-controller/values.yaml", "bitcoin-controller/crds/crd.yaml"} <= set(names)
    meta = yaml.safe_load(tar.extractfile("bitcoin-controller/Chart.yaml"))
    assert meta["version"] == version and meta["appVersion"] == version, meta
    assert all(m.mtime == tar.getmembers()[0].mtime and m.uid == 0 for m in tar.getmembers())
index = yaml.safe_load(open(os.path.join(dist, "index.yaml")))
entry, = index["entries"]["bitcoin-controller"]
assert entry["digest"] == hashlib.sha256(open(chart, "rb").read()).hexdigest(), entry
assert entry["urls"] == [os.path.basename(chart)] and entry["version"] == version
with tarfile.open(os.path.join(dist, "kubectl-bitcoin_%s_image.oci.tar" % version)) as tar:
    manifest, = json.load(tar.extractfile("index.json"))["manifests"]
    assert manifest["annotations"]["io.containerd.image.name"] == "ghcr.io/kubectl-bitcoin/kubectl-bitcoin:" + version
    image = json.load(tar.extractfile("blobs/sha256/" + manifest["digest"].split(":")[1]))
    config = json.load(tar.extractfile("blobs/sha256/" + image["config"]["digest"].split(":")[1]))["config"]
    assert config["User"] == "65532:65532" and config["Entrypoint"] == ["/kubectl-bitcoin"] and config["Cmd"] == ["serve"], config
PY
listing="$(tar tzf "$dist/$archive")"
for file in kubectl-bitcoin kubectl_complete-bitcoin README.md; do
  grep -qx "$file" <<<"$listing" || fail "$archive lacks $file"
done
mkdir "$E2E_TMP/unpacked"
tar xzf "$dist/$archive" -C "$E2E_TMP/unpacked"
file "$E2E_TMP/unpacked/kubectl-bitcoin" | grep -q 'statically linked' || fail "the packaged binary is not static"
file "$E2E_TMP/unpacked/kubectl-bitcoin" | grep -q 'not stripped' && fail "the packaged binary is not stripped"
"$E2E_TMP/unpacked/kubectl-bitcoin" version >/dev/null || fail "the packaged binary does not run"

manifest="$dist/bitcoin.yaml"
is_yaml <"$manifest" || fail "bitcoin.yaml is not YAML"
sha="$(sha256sum "$dist/$archive" | cut -d' ' -f1)"
contains "$(cat "$manifest")" "sha256: \"$sha\"" "bitcoin.yaml"
lacks "$(cat "$manifest")" "@VERSION@" "bitcoin.yaml"
python3 - "$manifest" "$archive" <<'PY' || fail "bitcoin.yaml is not a usable krew manifest"
import sys, yaml
m = yaml.safe_load(open(sys.argv[1]))
assert m["kind"] == "Plugin" and m["metadata"]["name"] == "bitcoin", m
platform = m["spec"]["platforms"][0]
assert platform["bin"] == "kubectl-bitcoin"
assert platform["uri"].endswith("/" + sys.argv[2]), platform["uri"]
assert m["spec"]["version"].startswith("v")
PY

# The Dockerfile's contract (no daemon is needed to check it).
dockerfile="$(cat "$REPO/Dockerfile")"
grep -q '^FROM scratch$' <<<"$dockerfile" || fail "the final image is not FROM scratch"
grep -q '^USER 65532:65532$' <<<"$dockerfile" || fail "the image does not run as 65532"
grep -q '^ENTRYPOINT \["/kubectl-bitcoin"\]$' <<<"$dockerfile" || fail "the entrypoint is not kubectl-bitcoin"
grep -q 'KB_STATIC=ON' <<<"$dockerfile" || fail "the image build is not static"

# .travis.yml: valid YAML; stages test, then release on version tags only; the release stage runs
# hack/release.sh and hack/publish.sh with the flags test/system/release_test.py gives them.
python3 - "$REPO" <<'PY' || fail ".travis.yml is not the pipeline the release test checks"
import os, sys, yaml
repo = sys.argv[1]
travis = yaml.safe_load(open(os.path.join(repo, ".travis.yml")))
stages = travis["stages"]
assert stages[0] == "test" and stages[1]["name"] == "release" and "tag" in stages[1]["if"], stages
jobs = {job["stage"]: job for job in travis["jobs"]["include"]}
assert "sudo -E hack/test.sh" in jobs["test"]["script"], jobs["test"]
release = jobs["release"]["script"]
assert any(line.startswith("hack/release.sh ") for line in release), release
publish = [line for line in release if line.startswith("hack/publish.sh ")]
assert len(publish) == 1 and "--helm-dir" in publish[0] and "--registry" in publish[0], publish
local = open(os.path.join(repo, "test", "system", "release_test.py")).read()
for flag in ('"publish.sh"', '"--helm-dir"', '"--registry"', '"release.sh"'):
    assert flag in local, "release_test.py does not run " + flag
deploy = jobs["release"]["deploy"]
# YAML 1.1 reads the key `on` as true; Travis reads it as "on".
assert deploy["provider"] == "releases" and deploy.get("on", deploy.get(True)) == {"tags": True}, deploy
PY

# hack/publish.sh --helm-dir merges into a repository that has other versions (the gh-pages branch
# after earlier releases): both stay, newest first, each with its own digest; a usage error is 2.
helm_dir="$E2E_TMP/helm-repo"
mkdir "$helm_dir"
expect 0 "$REPO/hack/publish.sh" --dist "$dist" --helm-dir "$helm_dir"
expect 0 env BUILD_DIR="$bin_dir" SKIP_BUILD=1 DIST_DIR="$E2E_TMP/dist-next" FORCE=1 "$REPO/hack/release.sh" 99.0.0
expect 0 "$REPO/hack/publish.sh" --dist "$E2E_TMP/dist-next" --helm-dir "$helm_dir"
python3 - "$helm_dir" "$version" <<'PY' || fail "the merged index.yaml is wrong"
import hashlib, os, sys, yaml
helm_dir, version = sys.argv[1:]
entries = yaml.safe_load(open(os.path.join(helm_dir, "index.yaml")))["entries"]["bitcoin-controller"]
assert [e["version"] for e in entries] == ["99.0.0", version], entries
for e in entries:
    archive = os.path.join(helm_dir, e["urls"][0])
    assert e["digest"] == hashlib.sha256(open(archive, "rb").read()).hexdigest(), e
PY
expect 2 "$REPO/hack/publish.sh" --dist "$dist"
# Credentials come in pairs: a user without a password is a usage error, found before anything is
# built or pushed (the port is one nothing listens on).
expect 2 env REGISTRY_USER=publisher REGISTRY_PASSWORD= "$REPO/hack/publish.sh" --dist "$dist" --registry 127.0.0.1:1
contains "$ERR" "REGISTRY_USER and REGISTRY_PASSWORD: set both or neither" "publish.sh's message"
