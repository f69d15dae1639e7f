#!/usr/bin/env bash
# Builds the dashboard's page (dashboard-ui/) into dist/ui/: the TypeScript bundled by esbuild
# (ECharts included, in a chunk only a sweep's page loads), the HTML and the CSS. No CDN: the
# package carries everything the page loads.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf dist/ui
mkdir -p dist/ui/assets
node_modules/.bin/esbuild dashboard-ui/src/main.ts \
  --bundle --splitting --format=esm --minify --target=es2022 \
  --entry-names='[name]' --chunk-names='[name]-[hash]' \
  --outdir=dist/ui/assets --log-level=warning
cp dashboard-ui/index.html dist/ui/index.html
cp dashboard-ui/style.css dist/ui/assets/style.css
