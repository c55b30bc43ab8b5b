#!/usr/bin/env bash
# Static checks of the deployment files; exits non-zero on any failure. Called from .ci/run.
#
# 1. shellcheck on every shell script in the repository (*.sh, and extensionless files whose
#    first line is a sh/bash shebang, such as .ci/run). Installs shellcheck with apt if missing.
# 2. systemd-analyze verify on deploy/pmcollect.service. verify refuses a unit whose ExecStart
#    binary does not exist, and /opt/pmcollect/pmcollect exists only on a server, so the check
#    runs on a temporary copy whose ExecStart points at a dummy executable in a temp dir (same
#    arguments). Any output from verify (unknown keys, bad values are only warnings) fails.
# 3. Best effort, skipped with a note when the tool is unavailable: docker-compose.yml through
#    `docker compose config` (or docker-compose v1 without the top-level `name:`), and
#    cloud-init.yaml against cloud-init's JSON schema (from Debian's cloud-init package).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
failed=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

apt_install() {
  apt-get install -y -q "$@" > /dev/null 2>&1 ||
    { apt-get update -q > /dev/null 2>&1 && apt-get install -y -q "$@" > /dev/null 2>&1; }
}

# --- 1. shellcheck ---------------------------------------------------------------------------
if ! command -v shellcheck > /dev/null; then
  echo "deploy_checks: installing shellcheck"
  apt_install shellcheck || { echo "deploy_checks: FAIL: cannot install shellcheck"; exit 1; }
fi
scripts=()
while IFS= read -r -d '' file; do
  if [[ "$file" == *.sh ]] || head -n 1 "$file" 2> /dev/null | grep -Eq '^#!.*[/ ](ba)?sh([[:space:]]|$)'; then
    scripts+=("$file")
  fi
done < <(find . \( -path ./.git -o -path ./node_modules -o -path ./data -o -path ./dist \) -prune \
  -o -type f -print0)
if [[ ${#scripts[@]} -eq 0 ]]; then
  echo "deploy_checks: FAIL: found no shell scripts (expected deploy/*.sh)"
  failed=1
elif shellcheck "${scripts[@]}"; then
  echo "deploy_checks: ok: shellcheck (${#scripts[@]} scripts: ${scripts[*]})"
else
  echo "deploy_checks: FAIL: shellcheck"
  failed=1
fi

# --- 2. systemd-analyze verify ---------------------------------------------------------------
if ! command -v systemd-analyze > /dev/null; then
  apt_install systemd || { echo "deploy_checks: FAIL: cannot install systemd-analyze"; exit 1; }
fi
printf '#!/bin/sh\nexit 0\n' > "$tmp/pmcollect"
chmod 0755 "$tmp/pmcollect"
sed "s#^ExecStart=/opt/pmcollect/pmcollect#ExecStart=$tmp/pmcollect#" deploy/pmcollect.service \
  > "$tmp/pmcollect.service"
grep -q "^ExecStart=$tmp/pmcollect run$" "$tmp/pmcollect.service" ||
  { echo "deploy_checks: FAIL: ExecStart=/opt/pmcollect/pmcollect run not found"; failed=1; }
if verify_out=$(systemd-analyze verify "$tmp/pmcollect.service" 2>&1) && [[ -z "$verify_out" ]]; then
  echo "deploy_checks: ok: systemd-analyze verify deploy/pmcollect.service"
else
  echo "deploy_checks: FAIL: systemd-analyze verify deploy/pmcollect.service"
  printf '%s\n' "$verify_out"
  failed=1
fi

# --- 3. compose and cloud-init (best effort) -------------------------------------------------
if docker compose version > /dev/null 2>&1; then
  if POSTGRES_PASSWORD=check docker compose -f deploy/docker-compose.yml config -q; then
    echo "deploy_checks: ok: docker compose config"
  else
    echo "deploy_checks: FAIL: docker compose config"
    failed=1
  fi
elif command -v docker-compose > /dev/null; then
  sed '/^name: /d' deploy/docker-compose.yml > "$tmp/docker-compose.yml"
  if POSTGRES_PASSWORD=check docker-compose -f "$tmp/docker-compose.yml" \
    --project-directory deploy config -q; then
    echo "deploy_checks: ok: docker-compose (v1 schema) config"
  else
    echo "deploy_checks: FAIL: docker-compose config"
    failed=1
  fi
else
  echo "deploy_checks: skipped: docker compose is not installed"
fi

if python3 -c 'import jsonschema, yaml' 2> /dev/null &&
  (cd "$tmp" && apt-get download -q cloud-init > /dev/null 2>&1) &&
  dpkg -x "$tmp"/cloud-init_*.deb "$tmp/ci"; then
  schema=$(find "$tmp/ci" -name 'schema-cloud-config-v1.json' | head -n 1)
  if python3 - "$schema" deploy/cloud-init.yaml << 'EOF'; then
import json, sys, jsonschema, yaml
schema = json.load(open(sys.argv[1]))
with open(sys.argv[2]) as f:
    assert f.readline().strip() == "#cloud-config", "first line must be #cloud-config"
    f.seek(0)
    config = yaml.safe_load(f)
errors = list(jsonschema.Draft4Validator(schema).iter_errors(config))
for e in errors:
    print(f"  {'.'.join(map(str, e.path))}: {e.message[:200]}")
sys.exit(1 if errors else 0)
EOF
    echo "deploy_checks: ok: cloud-init.yaml matches cloud-init's schema"
  else
    echo "deploy_checks: FAIL: cloud-init.yaml"
    failed=1
  fi
else
  echo "deploy_checks: skipped: cloud-init schema (needs python3 jsonschema+yaml and apt)"
fi

if [[ $failed -ne 0 ]]; then
  echo "deploy_checks: FAILED"
  exit 1
fi
echo "deploy_checks: ok"
