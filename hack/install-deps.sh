#!/usr/bin/env bash
# Installs what the build and the tests need on a fresh Debian 12 machine. Idempotent and quiet
# when everything is already present.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config file git
  libboost1.81-dev libboost-json1.81-dev libssl-dev libyaml-dev libcli11-dev doctest-dev
  clang-format python3 openssl iproute2 iptables procps curl unzip
  clang-14 libclang-rt-14-dev
  chromium  # the dashboard's browser test (system.dashboard) loads the page in headless Chromium
)

# PyYAML lets the chart compatibility test compare parsed documents.
python3 -c 'import yaml' 2>/dev/null || python3 -m pip install -q pyyaml >/dev/null 2>&1 || true

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if ((${#missing[@]} == 0)); then
  exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
  echo "install-deps: missing Debian packages: ${missing[*]} (run as root, or: sudo apt-get install ${missing[*]})" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# A fresh machine has no package lists yet; refresh them once if they are older than a day.
if [[ -z $(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mtime -1 2>/dev/null | head -1) ]]; then
  apt-get update -q >/dev/null
fi
apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
