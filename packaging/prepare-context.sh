#!/usr/bin/env bash
# Prepares what the image Dockerfiles (packaging/*.Dockerfile) copy from the repository root:
#   dist/                       the compiled JavaScript (npm run build)
#   .berth/image/node_modules   the PRODUCTION dependencies only, installed from package-lock.json
#
# Why not `npm ci` inside `docker build`? Containers here have no network at all (and many build
# farms are air-gapped), so an install inside the build would fail. Installing on the host — from
# npm's cache when it holds the packages, from the registry otherwise — and copying the result in
# gives the same tree as `npm ci --omit=dev` would inside the image. No package has install scripts
# that must run (--ignore-scripts; ssh2's optional native crypto falls back to JavaScript), and the
# modules are plain JavaScript, so the tree is not tied to this machine's libc.
#
# The install is redone only when package-lock.json changed (its hash is kept beside the tree).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out=.berth/image
lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "$(cat "$out/lock.sha256" 2>/dev/null)" != "$lock_hash" ] || [ ! -d "$out/node_modules" ]; then
  rm -rf "$out" && mkdir -p "$out"
  cp package.json package-lock.json "$out/"
  (cd "$out" && npm ci --omit=dev --ignore-scripts --prefer-offline --no-audit --no-fund --loglevel=error >&2)
  echo "$lock_hash" > "$out/lock.sha256"
fi
[ "${BERTH_SKIP_BUILD:-}" = 1 ] || npm run build --silent
echo "image context ready: dist/ and $out/node_modules ($(du -sh "$out/node_modules" | cut -f1))" >&2
