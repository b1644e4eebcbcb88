#!/usr/bin/env bash
# `npm run test:loaded`: the whole suite while a CPU hog keeps every core busy (stress-ng --cpu N,
# N = the number of cores), the way a new user's busy 2-core machine runs it. Repeats RUNS times
# (default 1; the issue's bar is 3 in a row) and stops at the first failure. Extra arguments go to
# vitest (e.g. `npm run test:loaded -- test/capture`).
set -u
cd "$(dirname "$0")/.."
RUNS="${RUNS:-1}"
CPUS="${STRESS_CPUS:-$(nproc)}"
if ! command -v stress-ng >/dev/null 2>&1; then
  echo "wharf: test:loaded needs stress-ng (apt-get install stress-ng)" >&2
  exit 1
fi
bash scripts/system-deps.sh
hog=""
stop_hog() {
  if [ -n "$hog" ]; then
    kill "$hog" 2>/dev/null
    wait "$hog" 2>/dev/null
    hog=""
  fi
}
trap stop_hog EXIT INT TERM
# the hog runs until stopped (bounded anyway: 2 h), quietly
stress-ng --cpu "$CPUS" --timeout 7200s --quiet &
hog=$!
echo "== stress-ng --cpu $CPUS running (pid $hog); $RUNS run(s) of the suite under it"
for i in $(seq 1 "$RUNS"); do
  start=$(date +%s)
  npx vitest run "$@"
  rc=$?
  echo "== loaded run $i/$RUNS: exit $rc after $(($(date +%s) - start)) s"
  if [ "$rc" -ne 0 ]; then exit "$rc"; fi
done
echo "== $RUNS loaded run(s) passed"
