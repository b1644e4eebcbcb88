#!/usr/bin/env bash
# `npm run pack:check` (and .ci/run): the package as a user gets it. Packs the tarball (`npm pack`
# runs `prepare` = `npm run build`), installs it without dev dependencies into a fresh prefix, and
# from there runs `wharf --help`, `wharf config check` on an example, a short `wharf demo`, `wharf run`
# with `wharf status` showing its latest capture,
# `wharf cloud serve` (the web UI answers), `wharf status`, `wharf service install --unit-dir`, and
# checks that `wharf firmware build` names the toolchain to install. Fails on the first problem.
#   WHARF_PACK_DEMO_S   demo duration in seconds (default 15)
#   WHARF_PACK_KEEP=1   keep the temp directory
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/wharf-pack-XXXXXX")
cleanup() {
  [ -n "${serve_pid:-}" ] && kill "$serve_pid" 2>/dev/null || true
  [ -n "${run_pid:-}" ] && kill -KILL "$run_pid" 2>/dev/null || true
  if [ "${WHARF_PACK_KEEP:-0}" = "1" ]; then echo "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
fail() { echo "pack-check: FAIL: $*" >&2; exit 1; }
t0=$(date +%s)

echo "== npm pack (builds dist/ first)"
npm pack --silent --pack-destination "$tmp" >"$tmp/pack.out"
tgz=$(ls "$tmp"/wharf-*.tgz)
tar -tzf "$tgz" >"$tmp/files.txt"
echo "   $(basename "$tgz"): $(du -k "$tgz" | cut -f1) KiB, $(wc -l <"$tmp/files.txt") files"
grep -q '^package/dist/cli/main.js$' "$tmp/files.txt" || fail "tarball has no dist/cli/main.js"
grep -q '^package/dist/ui/app.js$' "$tmp/files.txt" || fail "tarball has no web UI bundle"
grep -q '^package/dist/firmware/demo-agent.mqtt.js$' "$tmp/files.txt" || fail "no demo firmware bundle"
if grep -qE '^package/(test|hil|bench)/|tsbuildinfo' "$tmp/files.txt"; then fail "tarball ships test/hil/bench"; fi

echo "== npm install -g (--omit=dev) into $tmp/prefix"
npm install -g "$tgz" --omit=dev --prefix "$tmp/prefix" --no-audit --no-fund --loglevel=error
pkg="$tmp/prefix/lib/node_modules/wharf"
for dev in typescript tsx esbuild terser vitest uplot; do
  [ ! -e "$pkg/node_modules/$dev" ] && [ ! -e "$tmp/prefix/lib/node_modules/$dev" ] \
    || fail "dev dependency $dev was installed"
done
# every native module of the runtime was built (install scripts ran) and loads
(cd "$pkg" && node -e "
  require('unix-dgram').createSocket('unix_dgram').close();
  const sqlite = +process.versions.node.split('.')[0] >= 22 && ['x64', 'arm64'].includes(process.arch) ? 'better-sqlite3-napi' : 'better-sqlite3';
  new (require(sqlite))(':memory:').close();
  require('serialport');
") || fail "a native module of the installed package does not load"
export PATH="$tmp/prefix/bin:$PATH"
export WHARF_HOME="$tmp/home"
[ "$(command -v wharf)" = "$tmp/prefix/bin/wharf" ] || fail "wharf is not the installed one"
cd "$tmp" # away from the checkout: nothing may resolve from it

echo "== wharf --help"
wharf --help >/dev/null
echo "== wharf config check examples/sim-gateway.jsonc"
wharf config check "$pkg/examples/sim-gateway.jsonc"

echo "== wharf demo --duration ${WHARF_PACK_DEMO_S:-15}"
wharf demo --duration "${WHARF_PACK_DEMO_S:-15}" >"$tmp/demo.out" 2>"$tmp/demo.err" \
  || { cat "$tmp/demo.out" "$tmp/demo.err"; fail "wharf demo exited non-zero"; }
cat "$tmp/demo.out"
grep -q "stopped (duration elapsed)" "$tmp/demo.out" || fail "demo did not stop cleanly"
# a clean stop syncs once more, so most data is in the demo cloud now: look there and on disk
wharf data stats "$WHARF_HOME/capture" >"$tmp/stats.out"
(cd "$pkg" && node -e "
  const sqlite = +process.versions.node.split('.')[0] >= 22 && ['x64', 'arm64'].includes(process.arch) ? 'better-sqlite3-napi' : 'better-sqlite3';
  const db = new (require(sqlite))(process.argv[1], { readonly: true });
  for (const r of db.prepare('select distinct component_name as c from readings').all()) console.log(r.c);
" "$WHARF_HOME/cloud.db") >>"$tmp/stats.out" || fail "the demo cloud's database cannot be read"
for board in line1-esp32 esp32-mqtt-board; do
  grep -q "$board" "$tmp/stats.out" || fail "no data from $board in the demo"
done
if command -v socat >/dev/null; then
  grep -q esp32-serial-board "$tmp/stats.out" || fail "no data from the emulated serial ESP32"
fi

echo "== wharf run (background) and wharf status against it"
port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
sed -e "s/\"port\": 8787/\"port\": $port/" -e 's/"port": 1883/"port": 0/' \
  "$pkg/examples/sim-gateway.jsonc" >"$tmp/run.jsonc"
WHARF_HOME="$tmp/run-home" wharf run --config "$tmp/run.jsonc" >"$tmp/run.out" 2>&1 &
run_pid=$!
for _ in $(seq 1 150); do
  grep -q "wharf: capturing" "$tmp/run.out" && break
  kill -0 "$run_pid" 2>/dev/null || { cat "$tmp/run.out"; fail "wharf run exited"; }
  sleep 0.2
done
status_ok=""
for _ in $(seq 1 60); do # until every entry has a latest reading and a measured rate
  WHARF_HOME="$tmp/run-home" wharf status --config "$tmp/run.jsonc" --json >"$tmp/status.json" 2>&1 || true
  if node -e '
    const d = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).latest;
    process.exit(d && d.entries.length > 0 && d.entries.every((e) => e.latest && e.achieved_hz > 0) ? 0 : 1);
  ' "$tmp/status.json" 2>/dev/null; then
    status_ok=1
    break
  fi
  sleep 0.5
done
WHARF_HOME="$tmp/run-home" wharf status --config "$tmp/run.jsonc" >"$tmp/status.out" 2>&1 || true
cat "$tmp/status.out"
[ -n "$status_ok" ] || fail "wharf status did not show the latest capture of the running gateway"
kill -TERM "$run_pid"
wait "$run_pid" || fail "wharf run did not stop cleanly on SIGTERM"
run_pid=""
grep -q "stopped (SIGTERM)" "$tmp/run.out" || { cat "$tmp/run.out"; fail "wharf run: no clean stop"; }

echo "== wharf cloud serve"
wharf cloud serve --db "$tmp/cloud.db" --host 127.0.0.1 --port 0 >"$tmp/serve.out" 2>&1 &
serve_pid=$!
url=""
for _ in $(seq 1 100); do
  url=$(grep -oE 'http://127\.0\.0\.1:[0-9]+' "$tmp/serve.out" | head -1 || true)
  [ -n "$url" ] && break
  kill -0 "$serve_pid" 2>/dev/null || { cat "$tmp/serve.out"; fail "cloud serve exited"; }
  sleep 0.2
done
[ -n "$url" ] || { cat "$tmp/serve.out"; fail "cloud serve printed no URL"; }
curl -fsS "$url/" >"$tmp/index.html" || fail "web UI not served at $url/"
grep -qi '<html' "$tmp/index.html" || fail "web UI page is not HTML"
curl -fsS "$url/ui/app.js" >/dev/null || fail "web UI bundle not served"
kill "$serve_pid"
wait "$serve_pid" 2>/dev/null || true
serve_pid=""

echo "== wharf service install --unit-dir (no systemctl)"
wharf service install --config "$pkg/examples/sim-gateway.jsonc" --unit-dir "$tmp/units" --no-systemctl
grep -q '^Type=notify$' "$tmp/units/wharf.service" || fail "unit is not Type=notify"

echo "== wharf firmware build says what to install"
if wharf firmware build --out "$tmp/fw" >"$tmp/fw.out" 2>&1; then fail "firmware build ran without a toolchain"; fi
grep -q "TOOLCHAIN_MISSING" "$tmp/fw.out" && grep -q "npm install -g" "$tmp/fw.out" \
  || { cat "$tmp/fw.out"; fail "firmware build did not say what to install"; }

echo "pack-check: OK in $(($(date +%s) - t0)) s ($(basename "$tgz"), $(node -v))"
cd "$repo"
