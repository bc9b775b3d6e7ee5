#!/usr/bin/env bash
# Rebuild ../static/editor.bundle.js (CodeMirror 6 + SPARQL mode + completion) from editor.js.
# The bundle is committed: the server and CI never run npm. Versions are pinned in package.json.
set -euo pipefail
cd "$(dirname "$0")"
npm ci --no-audit --no-fund
npx esbuild editor.js --bundle --minify --format=iife --global-name=AihkgEditor --target=es2020 \
  --legal-comments=none --outfile=../static/editor.bundle.js
