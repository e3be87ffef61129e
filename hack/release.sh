#!/usr/bin/env bash
# Builds the release artefacts of VERSION into dist/, reproducibly (same commit and binary → same
# bytes: archives with sorted entries, owner 0:0 and every mtime SOURCE_DATE_EPOCH, gzip -n):
#   kubectl-bitcoin_<version>_linux_amd64.tar.gz   the stripped static binary, kubectl_complete-bitcoin,
#                                                  LICENSE and README.md (what krew installs)
#   bitcoin.yaml                                   the krew manifest with version and sha256 filled in
#   bitcoin-controller-<version>.tgz               the chart in `helm package` layout, Chart.yaml
#                                                  version and appVersion = <version> (so the image tag
#                                                  defaults to <version>)
#   index.yaml                                     a Helm repository index holding that chart
#   kubectl-bitcoin_<version>_image.oci.tar        the controller image (the Dockerfile's last stage around
#                                                  the stripped binary) as an OCI image layout, tagged
#                                                  ghcr.io/kubectl-bitcoin/kubectl-bitcoin:<version>; no Docker engine
#   SHA256SUMS                                     sha256 of every file above (sha256sum -c format)
# hack/publish.sh puts them into a Helm repository directory and a registry.
#
#   hack/release.sh                 version from chart/bitcoin-controller/Chart.yaml (appVersion; CMakeLists.txt reads it too)
#   hack/release.sh 0.2.0           (or VERSION=0.2.0) must match the binary's own version unless FORCE=1
#   BUILD_DIR=build hack/release.sh reuse an existing build directory (default: build-release)
#   SKIP_BUILD=1                    package the binary already in BUILD_DIR as it is
#   DIST_DIR=/tmp/out               write the artefacts there instead of dist/ (other files there are left alone)
#   SOURCE_DATE_EPOCH=...           the time stamped into archives and index.yaml (default: the last
#                                   commit's time, so two runs on one commit give the same bytes)
#   IMAGE_REPOSITORY=...            the image's name (default ghcr.io/kubectl-bitcoin/kubectl-bitcoin)
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "release: $*" >&2; exit 1; }

build_dir=${BUILD_DIR:-build-release}
dist=${DIST_DIR:-dist}
image_repository=${IMAGE_REPOSITORY:-ghcr.io/kubectl-bitcoin/kubectl-bitcoin}
project_version=$(sed -n 's/^appVersion: *"\{0,1\}\([0-9][0-9.]*\)"\{0,1\} *$/\1/p' chart/bitcoin-controller/Chart.yaml)
version=${1:-${VERSION:-$project_version}}
version=${version#v}  # a tag name (v0.2.0) names version 0.2.0
[[ -n $version ]] || die "cannot read appVersion from chart/bitcoin-controller/Chart.yaml; give it as the argument"
[[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]] ||
  die "version '$version' is not a semantic version X.Y.Z[-pre] (Helm and krew need one)"
if [[ -z ${SOURCE_DATE_EPOCH:-} ]]; then
  SOURCE_DATE_EPOCH=$(git log -1 --format=%ct 2>/dev/null) || die "not a git checkout: set SOURCE_DATE_EPOCH"
fi
export SOURCE_DATE_EPOCH

if [[ ${SKIP_BUILD:-0} != 1 ]]; then
  echo "== building kubectl-bitcoin $version in $build_dir"
  if [[ ! -f $build_dir/build.ninja ]]; then
    cmake -S . -B "$build_dir" -G Ninja -DKB_WERROR=ON -DKB_STATIC=ON -DCMAKE_BUILD_TYPE=Release >/dev/null
  fi
  cmake --build "$build_dir" --target kubectl-bitcoin -j "$(nproc)"
fi
[[ -x $build_dir/kubectl-bitcoin ]] || die "no binary at $build_dir/kubectl-bitcoin"

binary_version=$("$build_dir/kubectl-bitcoin" version -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["version"])')
if [[ $binary_version != "$version" && ${FORCE:-0} != 1 ]]; then
  die "the binary says version $binary_version but the release is $version (FORCE=1 to package anyway)"
fi
if file "$build_dir/kubectl-bitcoin" | grep -q 'dynamically linked'; then
  die "$build_dir/kubectl-bitcoin is not static (configure with -DKB_STATIC=ON)"
fi
python3 -c 'import yaml' 2>/dev/null || die "python3 yaml is missing (apt-get install python3-yaml)"

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
# tar_reproducibly DIR OUT ENTRY...: a gzip'd tar whose bytes depend on the files' contents and
# modes only.
tar_reproducibly() {
  local dir=$1 out=$2; shift 2
  tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$SOURCE_DATE_EPOCH" --format=gnu \
    -C "$dir" -cf - "$@" | gzip -n -9 >"$out"
}

mkdir -p "$dist"
artefacts=()  # every file written to $dist, for SHA256SUMS

# --- the plugin archive and the krew manifest
mkdir "$stage/plugin"
install -m 0755 "$build_dir/kubectl-bitcoin" "$stage/plugin/kubectl-bitcoin"
strip "$stage/plugin/kubectl-bitcoin"
install -m 0755 hack/kubectl_complete-bitcoin "$stage/plugin/kubectl_complete-bitcoin"
install -m 0644 README.md "$stage/plugin/README.md"
files=(kubectl-bitcoin kubectl_complete-bitcoin README.md)
drop_license=()
if [[ -f LICENSE ]]; then
  install -m 0644 LICENSE "$stage/plugin/LICENSE"
  files+=(LICENSE)
else
  # krew refuses a manifest whose files[].from matches nothing: drop the entry rather than ship a broken one.
  echo "release: WARNING: there is no LICENSE file; packaging without it (add one before publishing)" >&2
  drop_license=(-e '/- from: LICENSE/,+1d')
fi
"$stage/plugin/kubectl-bitcoin" version >/dev/null  # the stripped binary still runs
archive=kubectl-bitcoin_${version}_linux_amd64.tar.gz
tar_reproducibly "$stage/plugin" "$dist/$archive" "${files[@]}"
artefacts+=("$archive" bitcoin.yaml)
sha=$(sha256sum "$dist/$archive" | cut -d' ' -f1)
sed -e "s/@VERSION@/$version/g" -e "s/@SHA256_LINUX_AMD64@/$sha/g" "${drop_license[@]}" hack/krew/bitcoin.yaml >"$dist/bitcoin.yaml"
python3 -c 'import sys, yaml; yaml.safe_load(open(sys.argv[1]))' "$dist/bitcoin.yaml" ||
  die "$dist/bitcoin.yaml is not valid YAML"
! grep -q '@[A-Z0-9_]*@' "$dist/bitcoin.yaml" || die "placeholders left in $dist/bitcoin.yaml"

# --- the chart (helm package layout: one top directory named after the chart) and its index
chart=bitcoin-controller
cp -r "chart/$chart" "$stage/$chart"
chmod -R u=rwX,go=rX "$stage/$chart"
sed -i -e "s/^version: .*/version: $version/" -e "s/^appVersion: .*/appVersion: \"$version\"/" "$stage/$chart/Chart.yaml"
python3 - "$stage/$chart/Chart.yaml" "$version" <<'PY' || die "chart/$chart/Chart.yaml: version or appVersion not rewritten"
import sys, yaml
chart = yaml.safe_load(open(sys.argv[1]))
assert chart["version"] == sys.argv[2] and chart["appVersion"] == sys.argv[2], chart
PY
tar_reproducibly "$stage" "$dist/$chart-$version.tgz" "$chart"
rm -f "$dist/index.yaml"  # a fresh index with this chart alone (hack/publish.sh merges into a repository's)
python3 hack/release/helm_index.py --chart "$dist/$chart-$version.tgz" --index "$dist/index.yaml"
artefacts+=("$chart-$version.tgz" index.yaml)

# --- the controller image, from the Dockerfile's last stage (user, entrypoint, cmd, labels)
python3 hack/cluster/oci_image.py --out "$dist/kubectl-bitcoin_${version}_image.oci.tar" \
  --name "$image_repository:$version" --dockerfile Dockerfile \
  --file "$stage/plugin/kubectl-bitcoin:/kubectl-bitcoin:0755" --label "org.opencontainers.image.version=$version"

artefacts+=("kubectl-bitcoin_${version}_image.oci.tar")
(cd "$dist" && sha256sum -- "${artefacts[@]}" >SHA256SUMS.part && mv SHA256SUMS.part SHA256SUMS)
echo "== $dist/ (SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH)"
cat "$dist/SHA256SUMS"
