#!/usr/bin/env bash
# `bash scripts/ci-node.sh [MAJOR]` (default 24; .ci/run calls it): wharf on another Node release,
# with the Node binary from the npm registry (the `node` package installs `node-linux-<arch>`,
# which carries bin/node and the headers native modules compile against).
#   1. npm install --prefix TMP node@MAJOR, put its bin/ first on PATH
#   2. a copy of the committed tree (git archive HEAD), `npm ci` there with that node: every native
#      module is fetched or compiled for its ABI (npm_config_nodedir = the package's headers), and
#      `prepare` builds dist/ with it
#   3. scripts/native-check.mjs: better-sqlite3, serialport, cbor-extract and unix-dgram do real work
#   4. the whole test suite on that node (the cloud opens SQLite with better-sqlite3 13 there,
#      `better-sqlite3-napi`; 12 aborts at teardown on Node 24, see src/cloud/store/sqlite-driver.ts)
set -euo pipefail
cd "$(dirname "$0")/.."
major=${1:-24}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/wharf-node$major-XXXXXX")
# WHARF_CI_KEEP=1 keeps the node and the tree for a look afterwards
trap '[ "${WHARF_CI_KEEP:-0}" = 1 ] && echo "kept $tmp" || rm -rf "$tmp"' EXIT
t0=$(date +%s)

echo "== node@$major from the npm registry"
npm install --prefix "$tmp/node" --no-save --no-audit --no-fund --loglevel=error "node@$major"
arch=$(node -p process.arch)
nodedir=$(find "$tmp/node/node_modules" -maxdepth 3 -type d -name "node-linux-$arch" | head -1)
[ -n "$nodedir" ] && [ -x "$nodedir/bin/node" ] || { echo "no node-linux-$arch in node@$major" >&2; exit 1; }
export PATH="$nodedir/bin:$PATH"
export npm_config_nodedir="$nodedir"
node -v | grep -q "^v$major\." || { echo "node on PATH is $(node -v), not $major" >&2; exit 1; }
echo "   $(command -v node): $(node -v)"

echo "== npm ci in a copy of the tree (native modules for $(node -v), prepare builds dist/)"
mkdir "$tmp/tree"
git archive HEAD | tar -x -C "$tmp/tree"
cd "$tmp/tree"
npm ci --no-audit --no-fund --loglevel=error

echo "== native modules on $(node -v)"
node scripts/native-check.mjs

echo "== tests on $(node -v) (the whole suite)"
CI=true npx vitest run

echo "node $major: OK in $(($(date +%s) - t0)) s"
