#!/usr/bin/env bash
# Runs the real scanners (Semgrep, Bandit) on the sample apps in test/apps (a Python service, a Node
# service and its Dockerfile) and writes their JSON
# output to the directory given (default test/apps/demo-reports). Offline: local rules only.
# The app is copied to a temporary directory first because Semgrep skips paths under test/.
set -euo pipefail
export SEMGREP_ENABLE_VERSION_CHECK=0 SEMGREP_SEND_METRICS=off
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/test/apps/demo-reports}
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$root/test/apps/shop-python" "$work/app"
cp "$root/test/apps/rules/semgrep-python.yml" "$work/app/semgrep-rules.yml"
cd "$work/app"
semgrep scan --metrics=off --disable-version-check --quiet --config semgrep-rules.yml --exclude semgrep-rules.yml \
  --json -o "$out/semgrep.json" shop
# Bandit exits 1 when it finds issues; that is the expected outcome here.
bandit -q -r shop -f json -o "$out/bandit.json" || [ $? -eq 1 ]
# The Node service and its Dockerfile.
cp -r "$root/test/apps/shop-node" "$work/node"
cp "$root/test/apps/rules/semgrep-js.yml" "$work/node/semgrep-rules.yml"
cd "$work/node"
semgrep scan --metrics=off --disable-version-check --quiet --config semgrep-rules.yml --exclude semgrep-rules.yml \
  --json -o "$out/semgrep-node.json" src Dockerfile
echo "wrote $out/semgrep.json $out/bandit.json $out/semgrep-node.json"
