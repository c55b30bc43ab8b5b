#!/usr/bin/env bash
# Is pmcollect collecting? Exits 0 when the service is active, /healthz answers 200 and
# markets, price_snapshots, book_snapshots and trades all grew during the wait; otherwise
# exits 1 and prints every reason.
#
#   sudo deploy/smoke.sh [--wait SECONDS] [--healthz URL] [--database-url URL]
#                        [--tables "markets:updated_at trades:ts ..."] [--no-systemctl]
#
#   --wait SECONDS      how long to watch for growth (default 360: the markets and books
#                       collectors run every 300 s by default)
#   --healthz URL       default http://127.0.0.1:PORT/healthz, PORT from $PMCOLLECT_HEALTH_PORT,
#                       else from the env file below, else 9464
#   --database-url URL  default $DATABASE_URL, else DATABASE_URL from
#                       /etc/pmcollect/pmcollect.env (readable by root only)
#   --tables LIST       table:time_column pairs to watch (default below)
#   --no-systemctl      skip the `systemctl is-active pmcollect` and restart checks
#
# "Grew" means: more rows whose time column is at or after (start - 2 min) at the end than
# at the start. That is an index range scan, not a count(*) of a billion-row hypertable, and
# it also sees upserts that bump markets.updated_at. Needs psql and curl.
set -euo pipefail

WAIT_S=360
HEALTHZ_URL=""
DB_URL=${DATABASE_URL:-}
ENV_FILE=${PMCOLLECT_ENV_FILE:-/etc/pmcollect/pmcollect.env}
TABLES="markets:updated_at price_snapshots:ts book_snapshots:ts trades:ts"
CHECK_SYSTEMCTL=1

die() {
  echo "smoke: error: $*" >&2
  exit 2
}

while [[ $# -gt 0 ]]; do
  case "$1" in
    --wait) [[ $# -ge 2 ]] || die "--wait needs seconds"; WAIT_S=$2; shift 2 ;;
    --healthz) [[ $# -ge 2 ]] || die "--healthz needs a URL"; HEALTHZ_URL=$2; shift 2 ;;
    --database-url) [[ $# -ge 2 ]] || die "--database-url needs a URL"; DB_URL=$2; shift 2 ;;
    --tables) [[ $# -ge 2 ]] || die "--tables needs a list"; TABLES=$2; shift 2 ;;
    --no-systemctl) CHECK_SYSTEMCTL=0; shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
done
[[ "$WAIT_S" =~ ^[0-9]+$ ]] || die "--wait must be whole seconds, got '$WAIT_S'"
if [[ -z "$DB_URL" && -r "$ENV_FILE" ]]; then
  DB_URL=$(sed -n 's/^DATABASE_URL=//p' "$ENV_FILE" | tail -n 1 | sed -e 's/^"\(.*\)"$/\1/' -e "s/^'\(.*\)'$/\1/")
fi
if [[ -z "$HEALTHZ_URL" ]]; then
  port=${PMCOLLECT_HEALTH_PORT:-}
  if [[ -z "$port" && -r "$ENV_FILE" ]]; then
    port=$(sed -n 's/^PMCOLLECT_HEALTH_PORT=//p' "$ENV_FILE" | tail -n 1 | tr -d "\"'")
  fi
  HEALTHZ_URL="http://127.0.0.1:${port:-9464}/healthz"
fi
[[ -n "$DB_URL" ]] || die "no database: set DATABASE_URL or pass --database-url"
command -v psql > /dev/null || die "psql is missing (apt-get install postgresql-client)"
command -v curl > /dev/null || die "curl is missing"

failures=()
fail() {
  echo "FAIL: $*"
  failures+=("$*")
}

check_service() {
  [[ $CHECK_SYSTEMCTL -eq 1 ]] || return 0
  local state
  state=$(systemctl is-active pmcollect 2> /dev/null || true)
  if [[ "$state" == active ]]; then echo "ok: pmcollect is active"; else fail "pmcollect is ${state:-unknown}, not active (journalctl -u pmcollect -n 50)"; fi
}

restarts() {
  systemctl show -p NRestarts --value pmcollect 2> /dev/null || echo 0
}

check_healthz() {
  local code
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$HEALTHZ_URL" || true)
  [[ "$code" != 000 ]] || code="nothing (is pmcollect listening?)"
  if [[ "$code" == 200 ]]; then echo "ok: $HEALTHZ_URL answered 200"; else fail "$HEALTHZ_URL answered ${code:-nothing} (want 200)"; fi
}

psql_value() {
  psql "$DB_URL" -X -A -t -q -v ON_ERROR_STOP=1 -c "$1"
}

# Prints "table count" lines for rows at or after epoch $1.
count_rows() {
  local since=$1 sql="" pair table column
  for pair in $TABLES; do
    table=${pair%%:*}
    column=${pair#*:}
    [[ "$table" =~ ^[a-z_][a-z0-9_]*$ && "$column" =~ ^[a-z_][a-z0-9_]*$ ]] ||
      die "bad --tables entry '$pair' (want table:column)"
    [[ -z "$sql" ]] || sql+=" union all "
    sql+="select '$table' || ' ' || count(*) from $table where $column >= to_timestamp($since)"
  done
  psql_value "$sql"
}

check_service
restarts_before=$(restarts)
check_healthz
if ! since=$(psql_value "select extract(epoch from now())::bigint - 120"); then
  fail "cannot query the database"
  echo "smoke: FAILED (${#failures[@]} problems)"
  exit 1
fi
if ! before=$(count_rows "$since"); then
  fail "cannot count rows in: $TABLES (are the migrations applied?)"
  echo "smoke: FAILED (${#failures[@]} problems)"
  exit 1
fi
echo "watching $TABLES for ${WAIT_S}s ..."
sleep "$WAIT_S"
after=$(count_rows "$since") || fail "cannot count rows after the wait"

for pair in $TABLES; do
  table=${pair%%:*}
  b=$(awk -v t="$table" '$1 == t { print $2 }' <<< "$before")
  a=$(awk -v t="$table" '$1 == t { print $2 }' <<< "$after")
  if [[ -n "$a" && "$a" -gt "${b:-0}" ]]; then
    echo "ok: $table grew by $((a - b)) rows in ${WAIT_S}s"
  else
    fail "$table did not grow in ${WAIT_S}s (${b:-?} -> ${a:-?} recent rows)"
  fi
done
check_healthz
check_service
if [[ $CHECK_SYSTEMCTL -eq 1 ]]; then
  restarts_after=$(restarts)
  if [[ "$restarts_after" != "$restarts_before" ]]; then
    fail "pmcollect restarted during the wait (NRestarts $restarts_before -> $restarts_after)"
  fi
fi

if [[ ${#failures[@]} -gt 0 ]]; then
  echo "smoke: FAILED (${#failures[@]} problems)"
  exit 1
fi
echo "smoke: OK"
