#!/usr/bin/env bash
# Installs or upgrades pmcollect on one host (Ubuntu 24.04 / Debian 12, run as root).
# Idempotent: re-running with a new binary upgrades in place; existing env files are kept.
#
#   sudo deploy/install.sh [--binary PATH] [--no-system] [--dry-run]
#
#   --binary PATH   the compiled binary (default: dist/pmcollect next to deploy/, or
#                   deploy/pmcollect)
#   --no-system     place files only; print (do not run) useradd, chown, docker, systemctl
#                   and the migration. Implied when PMCOLLECT_INSTALL_ROOT is set.
#   --dry-run       print every step, change nothing
#
# Environment:
#   PMCOLLECT_INSTALL_ROOT  prefix for every installed path (tests), e.g. /tmp/root
#   PMCOLLECT_DB_WAIT_S     how long to wait for TimescaleDB to become healthy (default 180)
#
# Layout: /opt/pmcollect/{pmcollect,pmcollect.prev,docker-compose.yml} (root, 0755/0644),
# /etc/pmcollect/{pmcollect.env,db.env} (root, dir 0700, files 0600),
# /var/lib/pmcollect (pmcollect, 0700), /etc/systemd/system/pmcollect.service,
# /etc/systemd/journald.conf.d/pmcollect.conf.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=${PMCOLLECT_INSTALL_ROOT:-}
DB_WAIT_S=${PMCOLLECT_DB_WAIT_S:-180}
SERVICE_USER=pmcollect
NO_SYSTEM=0
DRY_RUN=0
BINARY=""

die() {
  echo "install.sh: error: $*" >&2
  exit 1
}

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'
}

while [[ $# -gt 0 ]]; do
  case "$1" in
    --binary)
      [[ $# -ge 2 ]] || die "--binary needs a path"
      BINARY=$2
      shift 2
      ;;
    --no-system) NO_SYSTEM=1; shift ;;
    --dry-run) DRY_RUN=1; NO_SYSTEM=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
done
[[ -n "$ROOT" ]] && NO_SYSTEM=1

if [[ -z "$BINARY" ]]; then
  for candidate in "$SCRIPT_DIR/../dist/pmcollect" "$SCRIPT_DIR/pmcollect"; do
    if [[ -f "$candidate" ]]; then
      BINARY=$candidate
      break
    fi
  done
fi
[[ -n "$BINARY" && -f "$BINARY" ]] ||
  die "no binary: build it with 'deno task compile' and pass --binary PATH"
[[ -x "$BINARY" ]] || die "$BINARY is not executable (chmod +x it)"
if [[ $NO_SYSTEM -eq 0 && $EUID -ne 0 ]]; then
  die "run as root (or use --no-system / PMCOLLECT_INSTALL_ROOT to place files only)"
fi

OPT_DIR=$ROOT/opt/pmcollect
ETC_DIR=$ROOT/etc/pmcollect
STATE_DIR=$ROOT/var/lib/pmcollect
UNIT_PATH=$ROOT/etc/systemd/system/pmcollect.service
JOURNALD_PATH=$ROOT/etc/systemd/journald.conf.d/pmcollect.conf
COMPOSE=(docker compose -p pmcollect --env-file /etc/pmcollect/db.env
  -f /opt/pmcollect/docker-compose.yml)

step() { echo "==> $*"; }

# A file operation: printed under --dry-run, run otherwise.
run() {
  if [[ $DRY_RUN -eq 1 ]]; then
    echo "would run: $*"
  else
    "$@"
  fi
}

# A system operation (users, ownership, docker, systemd): printed under --no-system.
sys() {
  if [[ $NO_SYSTEM -eq 1 ]]; then
    echo "would run: $*"
  else
    "$@"
  fi
}

# Copies $1 to $2 with mode $3 through a temporary file and rename, so a reader never sees a
# half-written file (and a running binary keeps its old inode). Returns 1 if unchanged.
place() {
  local src=$1 dest=$2 mode=$3
  if [[ -f "$dest" ]] && cmp -s "$src" "$dest"; then
    run chmod "$mode" "$dest"
    return 1
  fi
  run install -m "$mode" "$src" "$dest.new.$$"
  run mv -f "$dest.new.$$" "$dest"
}

# Writes stdin to $1 (mode 0600) only if it does not exist yet.
write_secret_once() {
  local dest=$1 content
  content=$(cat)
  if [[ -e "$dest" ]]; then
    run chmod 0600 "$dest"
    echo "    kept existing $dest"
    return 0
  fi
  if [[ $DRY_RUN -eq 1 ]]; then
    echo "would write $dest (0600)"
    return 0
  fi
  (umask 077 && printf '%s\n' "$content" > "$dest.new.$$")
  mv -f "$dest.new.$$" "$dest"
  echo "    wrote $dest"
}

random_password() {
  od -An -tx1 -N24 /dev/urandom | tr -d ' \n'
}

step "service user $SERVICE_USER"
if id -u "$SERVICE_USER" > /dev/null 2>&1; then
  echo "    exists"
else
  sys useradd --system --user-group --home-dir /var/lib/pmcollect --no-create-home \
    --shell /usr/sbin/nologin "$SERVICE_USER"
fi

step "directories"
run install -d -m 0755 "$OPT_DIR"
run install -d -m 0700 "$ETC_DIR"
run install -d -m 0700 "$STATE_DIR"
run install -d -m 0755 "$(dirname "$UNIT_PATH")" "$(dirname "$JOURNALD_PATH")"
sys chown "$SERVICE_USER:$SERVICE_USER" /var/lib/pmcollect

step "settings in $ETC_DIR"
password=""
if [[ -f "$ETC_DIR/db.env" ]]; then
  password=$(sed -n 's/^POSTGRES_PASSWORD=//p' "$ETC_DIR/db.env" | head -n 1)
fi
[[ -n "$password" ]] || password=$(random_password)
write_secret_once "$ETC_DIR/db.env" <<EOF
# docker compose interpolation for /opt/pmcollect/docker-compose.yml (see deploy/.env.example)
POSTGRES_PASSWORD=$password
EOF
write_secret_once "$ETC_DIR/pmcollect.env" <<EOF
# pmcollect settings (see deploy/pmcollect.env.example and runtime/_settings.ts)
DATABASE_URL=postgres://pmcollect:$password@127.0.0.1:5432/pmcollect
PMCOLLECT_TIMESCALE=require
PMCOLLECT_DATA_DIR=/var/lib/pmcollect
PMCOLLECT_HEALTH_PORT=9464
PMCOLLECT_LOG_LEVEL=info
EOF

step "binary $OPT_DIR/pmcollect"
if [[ -f "$OPT_DIR/pmcollect" ]] && ! cmp -s "$BINARY" "$OPT_DIR/pmcollect"; then
  # Keep the running version for a one-command rollback (docs/deploy.md).
  run ln -f "$OPT_DIR/pmcollect" "$OPT_DIR/pmcollect.prev"
fi
if place "$BINARY" "$OPT_DIR/pmcollect" 0755; then echo "    installed"; else echo "    unchanged"; fi

step "compose file, systemd unit, journald drop-in"
place "$SCRIPT_DIR/docker-compose.yml" "$OPT_DIR/docker-compose.yml" 0644 || true
place "$SCRIPT_DIR/pmcollect.service" "$UNIT_PATH" 0644 || true
journald_changed=0
if place "$SCRIPT_DIR/journald-pmcollect.conf" "$JOURNALD_PATH" 0644; then journald_changed=1; fi

step "systemd"
sys systemctl daemon-reload
if [[ $journald_changed -eq 1 ]]; then
  sys systemctl restart systemd-journald
fi

step "TimescaleDB (docker compose)"
if [[ $NO_SYSTEM -eq 0 ]]; then
  docker compose version > /dev/null 2>&1 ||
    die "docker compose is missing: apt-get install docker.io docker-compose-v2 (see cloud-init.yaml)"
fi
sys "${COMPOSE[@]}" up -d --remove-orphans
if [[ $NO_SYSTEM -eq 1 ]]; then
  echo "would wait up to ${DB_WAIT_S}s for pmcollect-timescaledb to be healthy"
else
  deadline=$((SECONDS + DB_WAIT_S))
  until [[ "$(docker inspect -f '{{.State.Health.Status}}' pmcollect-timescaledb 2> /dev/null)" == healthy ]]; do
    ((SECONDS < deadline)) || die "TimescaleDB not healthy after ${DB_WAIT_S}s: docker logs pmcollect-timescaledb"
    sleep 2
  done
  echo "    healthy"
fi

step "migrations (as $SERVICE_USER, with /etc/pmcollect/pmcollect.env)"
# systemd-run applies the env file exactly as the unit does; the old version keeps running
# until the restart below (migrations are forward-only and additive).
sys systemd-run --quiet --wait --pipe --collect --unit=pmcollect-migrate \
  -p User="$SERVICE_USER" -p Group="$SERVICE_USER" \
  -p EnvironmentFile=/etc/pmcollect/pmcollect.env \
  -p WorkingDirectory=/var/lib/pmcollect -p LimitCORE=0 \
  /opt/pmcollect/pmcollect --migrate

step "service"
sys systemctl enable pmcollect.service
sys systemctl restart pmcollect.service
if [[ $NO_SYSTEM -eq 0 ]]; then
  sleep 2
  systemctl is-active --quiet pmcollect.service ||
    die "pmcollect did not stay up: journalctl -u pmcollect -n 50"
fi

step "done; now check it: sudo $SCRIPT_DIR/smoke.sh"
