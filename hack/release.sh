#!/usr/bin/env bash
# Builds the release artefacts into dist/:
#   kubectl-bitcoin_<version>_linux_amd64.tar.gz   the stripped static binary, kubectl_complete-bitcoin,
#                                                  LICENSE and README.md
#   checksums.txt                                  sha256 of every archive (sha256sum format)
#   bitcoin.yaml                                   the krew manifest with version and sha256 filled in
#
#   hack/release.sh                 version from CMakeLists.txt (project VERSION)
#   VERSION=0.2.0 hack/release.sh   override (must match the binary's own version unless FORCE=1)
#   BUILD_DIR=build hack/release.sh reuse an existing build directory (default: build-release)
#   SKIP_BUILD=1                    package the binary already in BUILD_DIR as it is
#   DIST_DIR=/tmp/out               write the artefacts there instead of dist/
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir=${BUILD_DIR:-build-release}
dist=${DIST_DIR:-dist}
project_version=$(sed -n 's/^project(kubectl-bitcoin VERSION \([0-9][0-9.]*\).*/\1/p' CMakeLists.txt)
version=${VERSION:-$project_version}
if [[ -z $version ]]; then
  echo "release: cannot read the version from CMakeLists.txt; set VERSION" >&2
  exit 1
fi

if [[ ${SKIP_BUILD:-0} != 1 ]]; then
  echo "== building kubectl-bitcoin $version in $build_dir"
  if [[ ! -f $build_dir/build.ninja ]]; then
    cmake -S . -B "$build_dir" -G Ninja -DKB_WERROR=ON -DKB_STATIC=ON -DCMAKE_BUILD_TYPE=Release >/dev/null
  fi
  cmake --build "$build_dir" --target kubectl-bitcoin -j "$(nproc)"
fi
[[ -x $build_dir/kubectl-bitcoin ]] || { echo "release: no binary at $build_dir/kubectl-bitcoin" >&2; exit 1; }

binary_version=$("$build_dir/kubectl-bitcoin" version -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["version"])')
if [[ $binary_version != "$version" && ${FORCE:-0} != 1 ]]; then
  echo "release: the binary says version $binary_version but the release is $version (FORCE=1 to package anyway)" >&2
  exit 1
fi
if file "$build_dir/kubectl-bitcoin" | grep -q 'dynamically linked'; then
  echo "release: $build_dir/kubectl-bitcoin is not static (configure with -DKB_STATIC=ON)" >&2
  exit 1
fi

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
cp "$build_dir/kubectl-bitcoin" "$stage/kubectl-bitcoin"
strip "$stage/kubectl-bitcoin"
install -m 0755 hack/kubectl_complete-bitcoin "$stage/kubectl_complete-bitcoin"
cp README.md "$stage/README.md"
files=(kubectl-bitcoin kubectl_complete-bitcoin README.md)
drop_license=()
if [[ -f LICENSE ]]; then
  cp LICENSE "$stage/LICENSE"
  files+=(LICENSE)
else
  # krew refuses a manifest whose files[].from matches nothing: drop the entry rather than ship a broken one.
  echo "release: WARNING: there is no LICENSE file; packaging without it (add one before publishing)" >&2
  drop_license=(-e '/- from: LICENSE/,+1d')
fi
"$stage/kubectl-bitcoin" version >/dev/null  # the stripped binary still runs

mkdir -p "$dist"
archive=kubectl-bitcoin_${version}_linux_amd64.tar.gz
# Reproducible: fixed order, owner and modification time (the last commit's, else now).
mtime=$(git log -1 --format=%cI 2>/dev/null || date -u +%Y-%m-%dT%H:%M:%SZ)
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="$mtime" -C "$stage" -cf - "${files[@]}" |
  gzip -n -9 >"$dist/$archive"
(cd "$dist" && sha256sum kubectl-bitcoin_*_linux_amd64.tar.gz >checksums.txt)
sha=$(sha256sum "$dist/$archive" | cut -d' ' -f1)

sed -e "s/@VERSION@/$version/g" -e "s/@SHA256_LINUX_AMD64@/$sha/g" "${drop_license[@]}" hack/krew/bitcoin.yaml > "$dist/bitcoin.yaml"
if python3 -c 'import yaml' 2>/dev/null; then
  python3 -c 'import sys, yaml; yaml.safe_load(open(sys.argv[1]))' "$dist/bitcoin.yaml" ||
    { echo "release: $dist/bitcoin.yaml is not valid YAML" >&2; exit 1; }
fi
if grep -q '@[A-Z0-9_]*@' "$dist/bitcoin.yaml"; then
  echo "release: placeholders left in $dist/bitcoin.yaml" >&2
  exit 1
fi

echo "== $dist/"
ls -l "$dist"
echo "sha256 $sha  $archive"
