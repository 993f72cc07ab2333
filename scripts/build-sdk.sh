#!/usr/bin/env bash
# Builds sdk-js/ (the browser snippet the gateway serves at /sdk/v1/gateway.min.js).
set -euo pipefail
cd "$(dirname "$0")/../sdk-js"
[[ -f package.json ]] || exit 0
if [[ ! -d node_modules || package-lock.json -nt node_modules ]]; then
  npm ci --silent --no-audit --no-fund
fi
npm run --silent build
