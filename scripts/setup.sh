#!/usr/bin/env bash
# Set-up for a fresh Debian 12 machine, idempotent. `bash scripts/setup.sh` installs the npm
# dependencies and builds; `--test` also installs what the test suites need: Chromium (end-to-end
# tests drive a real VS Code in it), Mesa's lavapipe Vulkan driver from bookworm-backports
# (WebGPU tests; bookworm's own Mesa is refused by Dawn) and code-server.
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
for a in "$@"; do [ "$a" = --test ] && want_test=1; done

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if [ "$want_test" = 1 ] && command -v apt-get >/dev/null; then
  if ! grep -rqs bookworm-backports /etc/apt/sources.list /etc/apt/sources.list.d/; then
    printf 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
      | as_root tee /etc/apt/sources.list.d/bookworm-backports.sources >/dev/null
  fi
  need=()
  command -v chromium >/dev/null || need+=(chromium)
  dpkg -s libkrb5-dev >/dev/null 2>&1 || need+=(libkrb5-dev)
  if [ ${#need[@]} -gt 0 ] || ! dpkg -s mesa-vulkan-drivers >/dev/null 2>&1; then
    as_root apt-get update -qq
    [ ${#need[@]} -gt 0 ] && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -t bookworm-backports mesa-vulkan-drivers libvulkan1
  fi
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund
fi
npm run --silent build

if [ "$want_test" = 1 ] && [ -f test/e2e/install-code-server.sh ]; then
  bash test/e2e/install-code-server.sh
fi
