#!/usr/bin/env bash
# Publishes what hack/release.sh made: the chart into a Helm repository directory (the gh-pages
# branch's checkout: the archive beside the others, its entry merged into index.yaml), and the
# controller image and the chart (as an OCI artifact) into a registry. CI (.travis.yml, on tags)
# and the release test (test/system/release_test.py, into a loopback registry) run this same script.
#
#   hack/publish.sh [--dist DIR] [--helm-dir DIR] [--registry HOST[:PORT]] [--plain-http]
#   exit 0 done, 1 failed (the message names the file or step), 2 usage error
#     --dist DIR                 hack/release.sh's output (default dist/); SHA256SUMS is checked first
#     --helm-dir DIR             the Helm repository's directory
#     --registry HOST[:PORT]     push the image as HOST/$IMAGE_PATH:<version> (oras, built by
#                                hack/release/tools.sh) and the chart as
#                                oci://HOST/$CHART_PATH/bitcoin-controller:<version> (helm push)
#     --plain-http               HTTP instead of HTTPS (a registry on loopback)
#   IMAGE_PATH (default kubectl-bitcoin/kubectl-bitcoin), CHART_PATH (default kubectl-bitcoin/charts)
#   REGISTRY_USER, REGISTRY_PASSWORD  both or neither: log in to the registry with them (into a
#                              temporary credentials file that oras and helm share); without them
#                              oras and helm use their own logins (`oras login`, `helm registry login`)
#   SOURCE_DATE_EPOCH          index.yaml's time stamps (default: the last commit's time)
# Prints "image DIGEST" after a push: the manifest digest a node reports as the pulled image's ID
# (the archive's manifest, stored byte for byte: the registry's digest for the tag is checked).
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "publish: $*" >&2; exit 1; }
usage() { sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//' >&2; exit 2; }

dist=dist helm_dir="" registry="" plain_http=0
while (($#)); do
  case $1 in
  --dist) dist=${2:?--dist needs a directory}; shift 2 ;;
  --helm-dir) helm_dir=${2:?--helm-dir needs a directory}; shift 2 ;;
  --registry) registry=${2:?--registry needs HOST[:PORT]}; shift 2 ;;
  --plain-http) plain_http=1; shift ;;
  -h | --help) usage ;;
  *) echo "publish: unknown argument: $1" >&2; usage ;;
  esac
done
[[ -n $helm_dir || -n $registry ]] || { echo "publish: nothing to do: give --helm-dir DIR and/or --registry HOST[:PORT]" >&2; exit 2; }
[[ -z ${REGISTRY_USER:-}${REGISTRY_PASSWORD:-} || (-n ${REGISTRY_USER:-} && -n ${REGISTRY_PASSWORD:-}) ]] ||
  { echo "publish: REGISTRY_USER and REGISTRY_PASSWORD: set both or neither" >&2; exit 2; }
[[ -f $dist/SHA256SUMS ]] || die "$dist/SHA256SUMS: missing (run hack/release.sh VERSION first)"
(cd "$dist" && sha256sum --quiet -c SHA256SUMS) || die "$dist: the files do not match SHA256SUMS"
chart_archive=$(cd "$dist" && ls bitcoin-controller-*.tgz)
[[ $(wc -l <<<"$chart_archive") == 1 ]] || die "$dist: want one bitcoin-controller-*.tgz, found: $chart_archive"
version=${chart_archive#bitcoin-controller-}
version=${version%.tgz}
image_archive=$dist/kubectl-bitcoin_${version}_image.oci.tar
[[ -f $image_archive ]] || die "$image_archive: missing"

if [[ -n $helm_dir ]]; then
  [[ -d $helm_dir ]] || die "--helm-dir $helm_dir: not a directory"
  export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct)}
  cp "$dist/$chart_archive" "$helm_dir/$chart_archive"
  python3 hack/release/helm_index.py --chart "$helm_dir/$chart_archive" --index "$helm_dir/index.yaml"
  echo "publish: $helm_dir: $chart_archive, index.yaml"
fi

if [[ -n $registry ]]; then
  command -v helm >/dev/null || die "missing tool: helm (3.8 or newer, for helm push)"
  tools_dir=$(hack/release/tools.sh oras) || die "building oras failed (hack/release/tools.sh oras)"
  oras=$tools_dir/oras
  image=$registry/${IMAGE_PATH:-kubectl-bitcoin/kubectl-bitcoin}:$version
  charts=oci://$registry/${CHART_PATH:-kubectl-bitcoin/charts}
  oras_to=() oras_remote=() helm_remote=()
  if ((plain_http)); then
    oras_to+=(--to-plain-http) oras_remote+=(--plain-http) helm_remote+=(--plain-http)
  fi
  if [[ -n ${REGISTRY_USER:-} ]]; then
    credentials=$(mktemp -d)
    trap 'rm -rf "$credentials"' EXIT
    oras_to+=(--to-registry-config "$credentials/config.json")
    oras_remote+=(--registry-config "$credentials/config.json")
    helm_remote+=(--registry-config "$credentials/config.json")
    "$oras" login "${oras_remote[@]}" --username "$REGISTRY_USER" --password-stdin "$registry" <<<"$REGISTRY_PASSWORD" >&2 ||
      die "oras login to $registry as $REGISTRY_USER failed"
  fi
  digest=$("$oras" resolve --oci-layout "$image_archive:$version") || die "$image_archive: no image tagged $version"
  "$oras" cp --no-tty --from-oci-layout "$image_archive:$version" "${oras_to[@]}" "$image" >&2 ||
    die "oras cp of $image_archive to $image failed"
  pushed=$("$oras" resolve "${oras_remote[@]}" "$image") || die "oras resolve $image failed"
  [[ $pushed == "$digest" ]] || die "$image: the registry has $pushed, the archive $digest"
  helm push "$dist/$chart_archive" "$charts" "${helm_remote[@]}" >&2 || die "helm push of $chart_archive to $charts failed"
  echo "image $digest"
fi
