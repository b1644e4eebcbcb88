#!/usr/bin/env bash
# Installs and starts the system tools wharf's tests and demo use:
#   socat (pty pairs), mosquitto + clients (external broker interop), chromium (web UI tests),
#   PostgreSQL 15 (fleet store tests), openssl (TLS test certificates), systemd (systemd-analyze
#   verifies the service unit; nothing is started), curl (scripts/pack-check.sh), ffmpeg (cameras).
# Idempotent and quick when everything is present. Needs root (or sudo) to install; without it,
# prints what is missing and carries on: tests that need a missing tool say so and are skipped
# locally, but fail under CI=true.
set -u
need=()
command -v socat >/dev/null 2>&1 || need+=(socat)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || need+=(mosquitto)
command -v mosquitto_pub >/dev/null 2>&1 || need+=(mosquitto-clients)
command -v systemd-analyze >/dev/null 2>&1 || need+=(systemd)
command -v curl >/dev/null 2>&1 || need+=(curl)
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || need+=(chromium)
command -v ffmpeg >/dev/null 2>&1 || need+=(ffmpeg)
if ! command -v pg_ctlcluster >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  need+=(postgresql)
fi

SUDO=""
if [ "$(id -u)" != "0" ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else SUDO="none"; fi
fi

if [ ${#need[@]} -gt 0 ]; then
  if [ "$SUDO" = "none" ]; then
    echo "wharf: missing system packages: ${need[*]} (not root, cannot install: run 'sudo apt-get install ${need[*]}')" >&2
  else
    echo "wharf: installing system packages: ${need[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq >/dev/null 2>&1 || echo "wharf: apt-get update failed" >&2
    $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null 2>&1 \
      || echo "wharf: apt-get install ${need[*]} failed" >&2
  fi
fi

# PostgreSQL: start the cluster if it is installed and not running (socket auth as postgres).
if command -v pg_lsclusters >/dev/null 2>&1; then
  pg_lsclusters -h 2>/dev/null | while read -r ver name port status rest; do
    if [ "$status" != "online" ] && [ "$SUDO" != "none" ]; then
      $SUDO pg_ctlcluster --skip-systemctl-redirect "$ver" "$name" start >/dev/null 2>&1 \
        || echo "wharf: could not start PostgreSQL $ver/$name" >&2
    fi
  done
fi
# Peer authentication maps the OS user to a role of the same name: give the current user one
# (the tests create throwaway databases with it).
if command -v psql >/dev/null 2>&1 && [ "$(id -u)" = "0" ] && command -v su >/dev/null 2>&1; then
  me=$(id -un)
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    su postgres -c "psql -qtAc 'select 1'" >/dev/null 2>&1 && break
    sleep 1
  done
  if ! su postgres -c "psql -qtAc \"select 1 from pg_roles where rolname='$me'\"" 2>/dev/null | grep -q 1; then
    su postgres -c "createuser --superuser $me" >/dev/null 2>&1 || echo "wharf: could not create PostgreSQL role $me" >&2
  fi
fi
exit 0
