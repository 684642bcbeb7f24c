#!/usr/bin/env bash
# Installs what raftlab needs to build and test, from Debian's packages.
# Idempotent: installs only what is missing, so it is cheap to run before
# every build (the Makefile does). Needs root (or sudo) only when something
# is missing.
set -euo pipefail

packages=(
  g++ cmake make ninja-build ccache python3
  libboost-dev libboost-serialization-dev libboost-context-dev
  libgtest-dev libbenchmark-dev clang-format
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
