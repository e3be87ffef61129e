#!/usr/bin/env bash
# Builds build/kubectl-bitcoin (fully static) and the test executables.
#   hack/build.sh                 release-like build in build/
#   KB_SANITIZE=1 hack/build.sh   ASan+UBSan build in build-asan/ (clang, dynamic, Debug; for tests
#                                 and the ASan controller image)
set -euo pipefail
cd "$(dirname "$0")/.."

# ccache: key on paths relative to the checkout, so a fresh clone elsewhere (CI) reuses the cache.
export CCACHE_BASEDIR=$PWD CCACHE_NOHASHDIR=1 CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-5G}

build_dir=build
cmake_args=(-G Ninja -DKB_WERROR=ON)
# build-asan/ also builds the libFuzzer targets (test/fuzz; they need clang, which is why
# build-asan/ is a clang build): its code is coverage-instrumented for them.
asan_extra_args=(-DKB_FUZZ=ON)
if [[ ${KB_SANITIZE:-0} == 1 ]]; then
  build_dir=build-asan
  cmake_args+=(-DKB_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_COMPILER=clang++-14 "${asan_extra_args[@]}")
fi
# Configured every time (a second or two), so a build directory made with other options follows
# this script's.
cmake -S . -B "$build_dir" "${cmake_args[@]}" >/dev/null
cmake --build "$build_dir" -j "$(nproc)"
ln -sf "$build_dir/compile_commands.json" compile_commands.json
echo "built $build_dir/kubectl-bitcoin"
