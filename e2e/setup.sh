#!/usr/bin/env bash
# Installs the pinned mcp-remote (see package.json / package-lock.json) into
# e2e/node_modules for the end-to-end tests:
#
#   bash e2e/setup.sh && go test -tags e2e -count=1 ./e2e/
#
# Needs Node >= 18 and npm. The tests also accept MCP_REMOTE_DIR, a directory
# holding node_modules/mcp-remote, to test another install.
set -euo pipefail
cd "$(dirname "$0")"

want=0.15.1
if [[ -f package-lock.json ]]; then
	# Exactly the committed tree; no install scripts are needed or run.
	npm ci --no-audit --no-fund --ignore-scripts
else
	npm install --no-audit --no-fund --ignore-scripts --save-exact "mcp-remote@$want"
fi

got=$(node -p 'require("./node_modules/mcp-remote/package.json").version')
if [[ "$got" != "$want" ]]; then
	echo "setup.sh: installed mcp-remote $got, want $want" >&2
	exit 1
fi
# playwright-core drives the system's Chromium in browser.js (it downloads
# no browser of its own; never run `playwright install`).
pw=$(node -p 'require("./node_modules/playwright-core/package.json").version')
echo "mcp-remote $got and playwright-core $pw installed in $(pwd)/node_modules"
