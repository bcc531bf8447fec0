#!/usr/bin/env bash
# The test command: installs what the tests need on a Debian/Ubuntu machine (Debian packages, Node 22, npm ci),
# then runs `npm test` and prints its summary as one "N passed, N failed" line. CI (.ci/run) runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v aws >/dev/null 2>&1 || need+=(awscli)
{ python3 -c 'import boto3' 2>/dev/null || /usr/bin/python3 -c 'import boto3' 2>/dev/null; } || need+=(python3-boto3)
/usr/bin/python3 -c 'import numpy' 2>/dev/null || need+=(python3-numpy)
[ -x /usr/bin/chromium ] || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing Debian packages: ${need[*]}"
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# Node 22 (the Lambda runtime's, and what aws-local-stepfunctions and jsonpath-plus declare). The npm registry's
# `node` package ships the binaries; it goes into a tools folder outside the clone, once per machine.
if ! node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 22 ? 0 : 1)'; then
  tools="${AEP_TOOLS_DIR:-$HOME/.cache/aep-tools}/node22"
  [ -x "$tools/node_modules/node/bin/node" ] || npm install --prefix "$tools" --no-save --no-audit --no-fund node@22 >/dev/null
  export PATH="$tools/node_modules/node/bin:$PATH"
fi
echo "node $(node --version)"

npm ci --no-audit --no-fund
log=$(mktemp)
npm test 2>&1 | tee "$log"
# jest's own summary, restated as the plain "N passed, N failed" line CI reads.
summary=$(grep -E '^Tests:' "$log" | tail -1)
passed=$(grep -oE '[0-9]+ passed' <<<"$summary" | grep -oE '[0-9]+' || echo 0)
failed=$(grep -oE '[0-9]+ failed' <<<"$summary" | grep -oE '[0-9]+' || echo 0)
echo "jest: ${passed} passed, ${failed} failed"
