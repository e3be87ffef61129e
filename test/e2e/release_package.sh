#!/usr/bin/env bash
# hack/release.sh packages the binary under test: archive contents, checksums, the krew manifest
# filled in; and the Dockerfile keeps its contract (scratch, static binary, non-root). Needs no cluster.
source "$(dirname "$0")/lib.sh"
need_plugin
bin_dir="$(dirname "$(command -v kubectl-bitcoin)")"
dist="$E2E_TMP/dist"

expect 0 env BUILD_DIR="$bin_dir" SKIP_BUILD=1 DIST_DIR="$dist" "$REPO/hack/release.sh"
archive="$(cd "$dist" && ls kubectl-bitcoin_*_linux_amd64.tar.gz)"
[[ -n $archive ]] || fail "no archive in $dist"
(cd "$dist" && sha256sum -c checksums.txt >/dev/null) || fail "checksums.txt does not match the archive"
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
